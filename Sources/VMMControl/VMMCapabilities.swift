/// What `vmctl-vmm --capabilities` prints on one line: whether this build can boot guests, and the versions it
/// speaks. The runtime asks before it picks the kvm backend, so a VMM that cannot boot is never chosen.
/// Clients ignore fields they do not know (a newer VMM may add some).
public struct VMMCapabilities: Codable, Equatable, Sendable {
    /// The VMM's version, as `--version` prints it.
    public var version: String
    public var launchSpecVersion: Int
    public var controlProtocolVersion: Int
    /// Whether `vmctl-vmm SPEC` boots a guest (false: it validates, serves the socket briefly and exits 1).
    public var boot: Bool
    /// Why not, when `boot` is false.
    public var reason: String?
    /// Whether each VM process runs under the VMM's seccomp allow-list (docs/vmm.md, "Seccomp"); nil from a VMM
    /// that predates the filter.
    public var seccomp: Bool?

    public init(version: String, boot: Bool, reason: String? = nil, seccomp: Bool? = nil,
                launchSpecVersion: Int = LaunchSpec.currentVersion, controlProtocolVersion: Int = ControlProtocol.version) {
        self.version = version
        self.launchSpecVersion = launchSpecVersion
        self.controlProtocolVersion = controlProtocolVersion
        self.boot = boot
        self.reason = reason
        self.seccomp = seccomp
    }

    /// Reads the line `--capabilities` printed.
    public static func decode(_ bytes: [UInt8]) throws(VMMControlError) -> VMMCapabilities {
        do { return try JSONValueDecoder.decode(VMMCapabilities.self, from: bytes) } catch let error as DecodingError {
            throw .protocolViolation("vmctl-vmm --capabilities: \(DecodingErrorText.describe(error))")
        } catch {
            throw .protocolViolation("vmctl-vmm --capabilities: not valid JSON")
        }
    }
}
