import Foundation

/// Writes files so a crash never leaves half a file: write a temporary sibling, fsync, rename.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String, mode: Int = 0o600) throws {
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

    /// nil only when the file does not exist; a file that exists but cannot be read or decoded is an
    /// `unreadableState` error naming it and saying why in words (never silently "no such file").
    static func readJSON<T: Decodable>(_ type: T.Type, from path: String) throws -> T? {
        guard let data = try read(path) else { return nil }
        do { return try JSONDecoder().decode(type, from: data) } catch {
            throw RuntimeError.unreadableState(file: path, reason: StateFileProblem.describe(error, data: data))
        }
    }

    /// The file's bytes; nil when it does not exist.
    static func read(_ path: String) throws -> Data? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw RuntimeError.unreadableState(file: path, reason: "cannot open it: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw RuntimeError.unreadableState(file: path, reason: "cannot read it: \(String(cString: strerror(errno)))") }
            if n == 0 { return data }
            data.append(contentsOf: buffer[0..<n])
        }
    }

    public static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw RuntimeError.io(operation: "create folder \(path)", code: (error as NSError).code == 0 ? EIO : Int32((error as NSError).code))
        }
    }
}
