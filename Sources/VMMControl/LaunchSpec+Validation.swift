extension LaunchSpec {
    /// One out-of-range field: `vcpus: must be 1 to 8, not 12`.
    public struct Problem: Equatable, Sendable, CustomStringConvertible {
        public var field: String
        public var message: String

        public init(field: String, message: String) {
            self.field = field
            self.message = message
        }

        public var description: String { "\(field): \(message)" }
    }

    /// The ranges a version 1 spec must stay in.
    public enum Limits {
        public static let vcpus = 1...8
        public static let memoryMiB = 16...65_536
        /// The kernel's cmdline_size is 2047 bytes plus the NUL.
        public static let cmdlineBytes = 2047
        public static let nameBytes = 1...128
        public static let disks = 16
        public static let nets = 8
        /// Disks and NICs together: each takes a virtio-mmio window and one of the GSIs 5–23 (vmm-facts §6).
        public static let virtioDevices = 16
        /// Linux interface names: IFNAMSIZ - 1.
        public static let tapNameBytes = 15
    }

    /// Every problem with the spec's values (empty when valid). Pure: file existence is the VMM's concern.
    public func problems() -> [Problem] {
        var problems: [Problem] = []
        func check(_ condition: Bool, _ field: String, _ message: @autoclosure () -> String) {
            if !condition { problems.append(Problem(field: field, message: message())) }
        }
        check(!name.isEmpty, "name", "must not be empty")
        check(name.utf8.count <= Limits.nameBytes.upperBound, "name", "must be at most \(Limits.nameBytes.upperBound) bytes")
        check(!name.unicodeScalars.contains { $0.properties.generalCategory == .control }, "name", "must not contain control characters")
        check(Limits.vcpus.contains(vcpus), "vcpus", "must be \(Limits.vcpus.lowerBound) to \(Limits.vcpus.upperBound), not \(vcpus)")
        check(Limits.memoryMiB.contains(memoryMiB), "memoryMiB",
              "must be \(Limits.memoryMiB.lowerBound) to \(Limits.memoryMiB.upperBound) MiB, not \(memoryMiB)")
        problems += Self.pathProblems(kernel, field: "kernel")
        if let initrd { problems += Self.pathProblems(initrd, field: "initrd") }
        check(cmdline.utf8.count <= Limits.cmdlineBytes, "cmdline", "is \(cmdline.utf8.count) bytes; the kernel takes at most \(Limits.cmdlineBytes)")
        check(!cmdline.unicodeScalars.contains { $0.properties.generalCategory == .control }, "cmdline",
              "must not contain control characters (newline, tab, NUL)")
        check(disks.count <= Limits.disks, "disks", "at most \(Limits.disks) disks, not \(disks.count)")
        var seen: Set<String> = []
        for (index, disk) in disks.enumerated() {
            problems += Self.pathProblems(disk.path, field: "disks[\(index)].path")
            check(seen.insert(disk.path).inserted, "disks[\(index)].path", "\(disk.path) is attached twice")
        }
        problems += netProblems()
        check(disks.count + nets.count <= Limits.virtioDevices, "nets",
              "\(disks.count) disks and \(nets.count) NICs: at most \(Limits.virtioDevices) together")
        problems += Self.pathProblems(consoleLog, field: "consoleLog")
        problems += Self.socketProblems(controlSocket, field: "controlSocket")
        if let consoleSocket { problems += Self.socketProblems(consoleSocket, field: "consoleSocket") }
        if let agentSocket { problems += Self.socketProblems(agentSocket, field: "agentSocket") }
        let sockets = [("controlSocket", controlSocket), ("consoleSocket", consoleSocket), ("agentSocket", agentSocket)]
        for (index, (field, path)) in sockets.enumerated() {
            guard let path, let earlier = sockets.prefix(index).first(where: { $0.1 == path }) else { continue }
            problems.append(Problem(field: field, message: "\(path) is also \(earlier.0); each socket needs its own path"))
        }
        if let descriptors { problems += descriptors.problems(for: self) }
        return problems
    }

    /// A unix socket path: absolute, and short enough for sun_path.
    private static func socketProblems(_ path: String, field: String) -> [Problem] {
        var problems = pathProblems(path, field: field)
        if path.utf8.count > UnixAddress.maxPathBytes {
            problems.append(Problem(field: field, message: "is \(path.utf8.count) bytes; AF_UNIX takes at most \(UnixAddress.maxPathBytes)"))
        }
        return problems
    }

    private func netProblems() -> [Problem] {
        var problems: [Problem] = []
        if nets.count > Limits.nets {
            problems.append(Problem(field: "nets", message: "at most \(Limits.nets) NICs, not \(nets.count)"))
        }
        var macs: Set<[UInt8]> = []
        for (index, net) in nets.enumerated() {
            let field = "nets[\(index)]"
            if let bytes = net.macBytes {
                if bytes[0] & 1 != 0 {
                    problems.append(Problem(field: field + ".mac", message: "\(net.mac) is a multicast address; a NIC needs a unicast one"))
                } else if bytes.allSatisfy({ $0 == 0 }) {
                    problems.append(Problem(field: field + ".mac", message: "must not be 00:00:00:00:00:00"))
                } else if !macs.insert(bytes).inserted {
                    problems.append(Problem(field: field + ".mac", message: "\(net.mac) is used by another NIC"))
                }
            } else {
                problems.append(Problem(field: field + ".mac", message: "must be six hex octets separated by colons, not \(net.mac)"))
            }
            switch (net.tap, net.switchSocket) {
            case (let tap?, nil):
                problems += Self.tapNameProblems(tap, field: field + ".tap")
            case (nil, let socket?):
                problems += Self.socketProblems(socket, field: field + ".switchSocket")
            default:
                problems.append(Problem(field: field, message: "needs exactly one of tap and switchSocket"))
            }
        }
        return problems
    }

    /// What Linux accepts as an interface name (dev_valid_name).
    private static func tapNameProblems(_ name: String, field: String) -> [Problem] {
        let bytes = Array(name.utf8)
        if bytes.isEmpty || bytes.count > Limits.tapNameBytes {
            return [Problem(field: field, message: "must be 1 to \(Limits.tapNameBytes) bytes, not \(bytes.count)")]
        }
        if name == "." || name == ".." || bytes.contains(where: { $0 == 0x2F || $0 == 0x3A || $0 <= 0x20 || $0 == 0x7F }) {
            return [Problem(field: field, message: "\(name) is not a valid interface name (no '/', ':', spaces or control characters)")]
        }
        return []
    }

    /// The VMM runs detached with an unknown working directory: every path is absolute.
    private static func pathProblems(_ path: String, field: String) -> [Problem] {
        if path.isEmpty { return [Problem(field: field, message: "must not be empty")] }
        if !path.hasPrefix("/") { return [Problem(field: field, message: "must be an absolute path, not \(path)")] }
        if path.utf8.contains(0) { return [Problem(field: field, message: "must not contain NUL bytes")] }
        return []
    }
}
