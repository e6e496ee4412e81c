import Foundation

/// Writes files so a crash never leaves half a file: write a temporary sibling, fsync, rename.
enum AtomicFile {
    static func write(_ data: Data, to path: String, mode: Int = 0o600) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else { throw RuntimeError.io(operation: "create \(temporary)", code: errno) }
        var ok = true
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                // Writes the remaining bytes of `buffer`; offset < count.
                let n = Glibc.write(fd, buffer.baseAddress!.advanced(by: offset), buffer.count - offset)
                if n < 0 { if errno == EINTR { continue }; ok = false; return }
                offset += n
            }
        }
        let code = errno
        if ok { fsync(fd) }
        close(fd)
        guard ok else {
            unlink(temporary)
            throw RuntimeError.io(operation: "write \(path)", code: code)
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw RuntimeError.io(operation: "rename to \(path)", code: code)
        }
    }

    static func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try write(try encoder.encode(value) + Data("\n".utf8), to: path)
    }

    static func readJSON<T: Decodable>(_ type: T.Type, from path: String) throws -> T? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do { return try JSONDecoder().decode(type, from: data) } catch {
            throw RuntimeError.unreadableState(file: path, reason: "\(error)")
        }
    }

    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw RuntimeError.io(operation: "create folder \(path)", code: (error as NSError).code == 0 ? EIO : Int32((error as NSError).code))
        }
    }
}
