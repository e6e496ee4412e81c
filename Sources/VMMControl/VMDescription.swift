/// The result of `describe`.
public struct VMDescription: Codable, Equatable, Sendable {
    /// The launch spec's name.
    public var name: String
    public var state: VMRunState
    public var vcpus: Int
    public var memoryMiB: Int
    /// Milliseconds since the VMM process started.
    public var uptimeMilliseconds: Int
    public var pid: Int32
    /// VM exits of all vCPUs since start (stats has them by reason).
    public var exits: Int
    /// The control protocol version this VMM speaks.
    public var protocolVersion: Int

    public init(name: String, state: VMRunState, vcpus: Int, memoryMiB: Int, uptimeMilliseconds: Int, pid: Int32,
                exits: Int, protocolVersion: Int = ControlProtocol.version) {
        self.name = name
        self.state = state
        self.vcpus = vcpus
        self.memoryMiB = memoryMiB
        self.uptimeMilliseconds = uptimeMilliseconds
        self.pid = pid
        self.exits = exits
        self.protocolVersion = protocolVersion
    }
}
