import Glibc
import VMMControl

/// Reads a launch spec from a file or stdin ("-") with plain POSIX calls (no Foundation), and checks
/// that the files it names can be opened as the VMM will open them.
enum SpecReader {
    static let maxBytes = 1 << 20

    /// `descriptor`: the spec is already open there (vmctl-launch opened it); `source` only names it.
    static func load(_ source: String, descriptor: Int32? = nil) throws(VMMControlError) -> LaunchSpec {
        let name = source == "-" ? "(stdin)" : descriptor.map { "\(source) (descriptor \($0))" } ?? source
        let fd = descriptor ?? (source == "-" ? STDIN_FILENO : open(source, O_RDONLY | O_CLOEXEC))
        guard fd >= 0 else { throw .specUnreadable(source: name, reason: String(cString: strerror(errno))) }
        defer { if fd != STDIN_FILENO { close(fd) } }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = read(fd, &chunk, chunk.count)
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw .specUnreadable(source: name, reason: String(cString: strerror(errno)))
            }
            bytes += chunk[..<count]
            guard bytes.count <= maxBytes else { throw .specUnreadable(source: name, reason: "larger than \(maxBytes) bytes") }
        }
        guard !bytes.isEmpty else { throw .specUnreadable(source: name, reason: "empty") }
        return try LaunchSpec.load(bytes)
    }

    /// Problems with the files the spec names: kernel and initrd readable, disks readable (and writable
    /// unless read-only), the console log's and control socket's folders present.
    /// A spec with descriptors names no file the VMM opens (vmctl-launch opened them): nothing to check.
    static func fileProblems(_ spec: LaunchSpec) -> [LaunchSpec.Problem] {
        guard spec.descriptors == nil else { return [] }
        var checks: [(field: String, path: String, mode: Int32)] = [("kernel", spec.kernel, R_OK)]
        if let initrd = spec.initrd { checks.append(("initrd", initrd, R_OK)) }
        for (index, disk) in spec.disks.enumerated() {
            checks.append(("disks[\(index)].path", disk.path, disk.readOnly ? R_OK : R_OK | W_OK))
        }
        checks.append(("consoleLog", folder(of: spec.consoleLog), W_OK | X_OK))
        checks.append(("controlSocket", folder(of: spec.controlSocket), W_OK | X_OK))
        return checks.compactMap { check in
            guard access(check.path, check.mode) != 0 else { return nil }
            let what = check.mode & W_OK != 0 ? "cannot be written" : "cannot be read"
            return LaunchSpec.Problem(field: check.field, message: "\(check.path) \(what): \(String(cString: strerror(errno)))")
        }
    }

    private static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }
}
