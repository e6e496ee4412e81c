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
        problems += Self.pathProblems(consoleLog, field: "consoleLog")
        problems += Self.pathProblems(controlSocket, field: "controlSocket")
        check(controlSocket.utf8.count <= UnixAddress.maxPathBytes, "controlSocket",
              "is \(controlSocket.utf8.count) bytes; AF_UNIX takes at most \(UnixAddress.maxPathBytes)")
        return problems
    }

    /// The VMM runs detached with an unknown working directory: every path is absolute.
    private static func pathProblems(_ path: String, field: String) -> [Problem] {
        if path.isEmpty { return [Problem(field: field, message: "must not be empty")] }
        if !path.hasPrefix("/") { return [Problem(field: field, message: "must be an absolute path, not \(path)")] }
        if path.utf8.contains(0) { return [Problem(field: field, message: "must not contain NUL bytes")] }
        return []
    }
}
