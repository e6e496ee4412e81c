import Foundation

/// Files and folders vmctl keeps: written through a temporary sibling, fsync and rename, so a crash never leaves
/// half a file; created with their final mode (0600 for anything holding a key).
enum AtomicWrite {
    static func write(_ text: String, to path: String, mode: mode_t = 0o600) throws {
        let temporary = temporaryName(for: path)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw failure("create", temporary) }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                let error = failure("write", path)
                close(fd)
                unlink(temporary)
                throw error
            }
            offset += n
        }
        // open's mode is filtered by the umask; the final mode is set explicitly.
        fchmod(fd, mode)
        fsync(fd)
        close(fd)
        try rename(temporary, to: path)
    }

    /// `path` + `.tmp-PID-RANDOM`: unique per process and call, in the same folder (rename stays atomic).
    static func temporaryName(for path: String) -> String {
        "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    static func rename(_ from: String, to path: String) throws {
        guard Glibc.rename(from, path) == 0 else {
            let error = failure("rename \(from) to", path)
            unlink(from)
            throw error
        }
    }

    /// Creates `path` (and its parents) if missing; a new folder gets `mode`.
    static func makeFolder(_ path: String, mode: Int = 0o700) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: mode])
        } catch {
            throw ProvisioningError.io(operation: "create the folder", path: path, reason: (error as NSError).localizedDescription)
        }
    }

    static func failure(_ operation: String, _ path: String) -> ProvisioningError {
        .io(operation: operation, path: path, reason: String(cString: strerror(errno)))
    }
}
