import Foundation

/// Reads and writes cgroup files with errno-bearing errors. Plain `open`/`write`: a cgroup file takes one value per
/// write(2) and reports a bad value as that call's error, which Foundation's atomic writes would hide.
enum CgroupFiles {
    static func read(_ path: String) -> String? {
        try? String(contentsOfFile: path, encoding: .utf8)
    }

    static func write(_ value: String, to path: String) throws(CgroupError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)   // O_CREAT: only a fake tree lacks the file
        guard fd >= 0 else { throw .io(operation: "open", path: path, code: errno) }
        defer { close(fd) }
        let bytes = Array(value.utf8)
        // Sound: `bytes` outlives the call and its count is the length passed.
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw .io(operation: "write '\(value)' to", path: path, code: written < 0 ? errno : EIO) }
    }

    static func makeDirectory(_ path: String) throws(CgroupError) {
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else { throw .io(operation: "create", path: path, code: errno) }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// The pids listed in a `cgroup.procs` file (empty when the file is missing or empty).
    static func pids(_ procsFile: String) -> [Int32] {
        (read(procsFile) ?? "").split(whereSeparator: \.isNewline).compactMap { Int32($0) }
    }

    /// The first number in a file holding one ("max" and a missing file read as nil).
    static func number(_ path: String) -> UInt64? {
        read(path).flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// A `key value` line of a flat-keyed file such as cpu.stat.
    static func keyed(_ path: String, _ key: String) -> UInt64? {
        for line in (read(path) ?? "").split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] == key { return UInt64(parts[1]) }
        }
        return nil
    }
}
