extension LaunchSpec {
    /// The files and sockets a confined vmctl-vmm inherits already open, as descriptor numbers, in place of opening
    /// the spec's paths: vmctl-launch opens them as root before it drops to the VM's uid and hides the host's
    /// filesystem (docs/confinement.md). The paths stay in the spec to name each resource in logs and errors.
    public struct Descriptors: Codable, Equatable, Sendable {
        public var kernel: Int32
        public var initrd: Int32?
        /// Append-only.
        public var consoleLog: Int32
        /// Bound and listening.
        public var controlSocket: Int32
        public var consoleSocket: Int32?
        public var agentSocket: Int32?
        /// One per disk, in `disks` order, read-only or read-write as the disk is.
        public var disks: [Int32]
        /// One per NIC, in `nets` order: an attached tap (IFF_TAP|IFF_NO_PI) or a connected switch socket.
        public var nets: [Int32]

        public init(kernel: Int32, initrd: Int32? = nil, consoleLog: Int32, controlSocket: Int32, consoleSocket: Int32? = nil,
                    agentSocket: Int32? = nil, disks: [Int32] = [], nets: [Int32] = []) {
            self.kernel = kernel
            self.initrd = initrd
            self.consoleLog = consoleLog
            self.controlSocket = controlSocket
            self.consoleSocket = consoleSocket
            self.agentSocket = agentSocket
            self.disks = disks
            self.nets = nets
        }

        static let fieldNames: Set<String> = ["kernel", "initrd", "consoleLog", "controlSocket", "consoleSocket", "agentSocket",
                                              "disks", "nets"]

        /// Each descriptor above stderr, none given twice, one for each resource the spec has and none for one it lacks.
        func problems(for spec: LaunchSpec) -> [Problem] {
            var problems: [Problem] = []
            let named: [(String, Int32?, Bool)] = [
                ("kernel", kernel, true), ("initrd", initrd, spec.initrd != nil), ("consoleLog", consoleLog, true),
                ("controlSocket", controlSocket, true), ("consoleSocket", consoleSocket, spec.consoleSocket != nil),
                ("agentSocket", agentSocket, spec.agentSocket != nil),
            ]
            var all: [(String, Int32)] = []
            for (field, fd, wanted) in named {
                if let fd { all.append(("descriptors." + field, fd)) }
                if (fd != nil) != wanted {
                    problems.append(Problem(field: "descriptors." + field,
                                            message: wanted ? "missing: the spec has \(field)" : "given, but the spec has no \(field)"))
                }
            }
            if disks.count != spec.disks.count {
                problems.append(Problem(field: "descriptors.disks", message: "\(disks.count) descriptors for \(spec.disks.count) disks"))
            }
            if nets.count != spec.nets.count {
                problems.append(Problem(field: "descriptors.nets", message: "\(nets.count) descriptors for \(spec.nets.count) NICs"))
            }
            all += disks.enumerated().map { ("descriptors.disks[\($0.offset)]", $0.element) }
            all += nets.enumerated().map { ("descriptors.nets[\($0.offset)]", $0.element) }
            var seen: [Int32: String] = [:]
            for (field, fd) in all {
                if fd < 3 || fd > 65_535 {
                    problems.append(Problem(field: field, message: "must be 3 to 65535 (0-2 are stdin, stdout and stderr), not \(fd)"))
                } else if let earlier = seen[fd] {
                    problems.append(Problem(field: field, message: "descriptor \(fd) is also \(earlier)"))
                } else {
                    seen[fd] = field
                }
            }
            return problems
        }
    }
}
