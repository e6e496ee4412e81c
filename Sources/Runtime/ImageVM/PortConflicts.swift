import VMCtlModel

/// Checks the manifest's forwarded host ports against the host before a plan: used by another stack, by a VM of
/// this stack that the manifest no longer forwards from, or taken by some other program.
public enum PortConflicts {
    public struct Problem: Sendable, Equatable {
        /// The VM (definition) and the index in its `ports`.
        public var vm: String
        public var index: Int
        public var message: String
        public var hint: String
    }

    public static func check(_ desired: Stack, stateDirectory: StateDirectory,
                             isFree: (PortForward) -> Bool = HostPorts.isFree) -> [Problem] {
        let claims = HostPorts.claims(stateDirectory: stateDirectory)
        var problems: [Problem] = []
        for (name, spec) in desired.vms.sorted(by: { $0.key < $1.key }) {
            for (index, port) in spec.ports.enumerated() {
                let others = claims.filter { $0.port.sharesHostPort(with: port) && !($0.stack == desired.name && desired.vms[$0.vm]?.ports.contains(where: { $0.sharesHostPort(with: port) }) == true) }
                let mine = claims.contains { $0.stack == desired.name && $0.vm == name && $0.port.sharesHostPort(with: port) }
                let what = "host port \(port.protocol.rawValue) \(port.address):\(port.host)"
                if let other = others.first {
                    let owner = other.stack == desired.name ? "VM '\(other.vm)'" : "VM '\(other.vm)' of stack '\(other.stack)'"
                    problems.append(Problem(vm: name, index: index, message: "\(what) is already forwarded by \(owner)",
                                            hint: "pick another host port, or remove the forward there first"))
                } else if !mine, !isFree(port) {
                    problems.append(Problem(vm: name, index: index, message: "\(what) is in use on this host",
                                            hint: "find the program with: ss -lntup 'sport = :\(port.host)'; or pick another host port"))
                }
            }
        }
        return problems
    }
}
