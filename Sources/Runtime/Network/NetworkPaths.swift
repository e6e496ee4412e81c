/// The files of one network: its record beside the folder, and inside it the switch's socket, stats,
/// process files (as for a VM: `pid`, `exit`, `vmm.log`) and the address leases.
public struct NetworkPaths: Sendable {
    public var directory: String

    public var socket: String { directory + "/switch.sock" }
    public var stats: String { directory + "/stats.json" }
    public var leases: String { directory + "/leases.json" }
    /// The switch runs under the same wrapper as a VMM, which writes these files.
    var process: VMPaths { VMPaths(directory: directory) }
}

extension StackPaths {
    public func network(_ name: String) -> NetworkPaths { NetworkPaths(directory: "\(networks)/\(name)") }
}
