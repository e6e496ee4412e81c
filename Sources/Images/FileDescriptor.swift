import Foundation

/// One open file descriptor, closed when the owner goes away.
final class FileDescriptor {
    let fd: Int32
    let path: String

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    static func open(_ path: String, flags: Int32, mode: mode_t = 0, operation: String = "open") throws -> FileDescriptor {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw ImageError.io(operation: operation, path: path, code: errno) }
        return FileDescriptor(fd: fd, path: path)
    }

    func status() throws -> stat {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ImageError.io(operation: "stat", path: path, code: errno) }
        return info
    }

    func sync() throws {
        guard fsync(fd) == 0 else { throw ImageError.io(operation: "flush", path: path, code: errno) }
    }

    /// Reads up to `count` bytes at `offset` (fewer only at the end of the file).
    func read(count: Int, at offset: off_t) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = bytes.withUnsafeMutableBytes { buffer in
                // Sound: reads into the array's own storage, from `done` up to its end.
                pread(fd, buffer.baseAddress.map { $0 + done }, count - done, offset + off_t(done))
            }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw ImageError.io(operation: "read", path: path, code: errno) }
            if n == 0 { break }
            done += n
        }
        return Array(bytes[0..<done])
    }

    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: off_t) throws {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            // Sound: `base + done` stays inside `bytes` while done < count.
            let n = pwrite(fd, base + done, bytes.count - done, offset + off_t(done))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw ImageError.io(operation: "write", path: path, code: n < 0 ? errno : EIO) }
            done += n
        }
    }
}

/// Small file-system steps the store needs, each turning errno into an `ImageError` naming the path.
enum FileSystem {
    /// Writes `data` to a temporary file in the same folder, flushes it and renames it to `path`.
    static func writeAtomically(_ data: Data, to path: String, mode: mode_t = 0o644) throws {
        let temporary = path + ".tmp-\(getpid())"
        do {
            let file = try FileDescriptor.open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: mode, operation: "create")
            try data.withUnsafeBytes { try file.write($0, at: 0) }
            try file.sync()
            try rename(temporary, to: path)
        } catch {
            unlink(temporary)
            throw error
        }
        try syncFolder(of: path)
    }

    static func rename(_ from: String, to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw ImageError.io(operation: "rename \(from) to", path: to, code: errno) }
    }

    /// Flushes a folder's entries, so a rename inside it survives a crash.
    static func syncFolder(of path: String) throws {
        try syncFolder((path as NSString).deletingLastPathComponent)
    }

    static func syncFolder(_ folder: String) throws {
        let handle = try FileDescriptor.open(folder, flags: O_RDONLY | O_DIRECTORY)
        try handle.sync()
    }

    /// Creates the folder with `mode`, and its missing parents with 0700 like the state folder (existing ones are
    /// left as they are).
    static func makeFolder(_ path: String, mode: mode_t = 0o755) throws {
        var current = ""
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        for (position, component) in components.enumerated() {
            current += "/" + component
            if mkdir(current, position == components.count - 1 ? mode : 0o700) != 0, errno != EEXIST {
                throw ImageError.io(operation: "create the folder", path: current, code: errno)
            }
        }
    }

    /// Removes a folder and everything in it; a missing one is fine.
    static func removeTree(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        do { try FileManager.default.removeItem(atPath: path) } catch {
            throw ImageError.io(operation: "remove", path: path, code: posixCode(error))
        }
    }

    /// The errno behind a Foundation file error, else EIO.
    static func posixCode(_ error: Error) -> Int32 {
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        if let underlying, underlying.domain == NSPOSIXErrorDomain { return Int32(underlying.code) }
        return EIO
    }

    static func readJSON<T: Decodable>(_ type: T.Type, from path: String) throws -> T {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ImageError.unreadableMetadata(path: path, reason: "missing or unreadable")
        }
        do { return try decoder.decode(type, from: data) } catch {
            throw ImageError.unreadableMetadata(path: path, reason: "\(error)")
        }
    }

    static func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
        let data: Data
        do { data = try encoder.encode(value) } catch {
            throw ImageError.unreadableMetadata(path: path, reason: "cannot encode: \(error)")
        }
        try writeAtomically(data + Data("\n".utf8), to: path)
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
