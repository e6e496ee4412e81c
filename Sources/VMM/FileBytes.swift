import Glibc

/// Reads a whole file with POSIX calls (the VMM stack has no Foundation).
enum FileBytes {
    static func read(_ path: String, what: String) throws(VMMError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .file(what: what, path: path, errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .file(what: what, path: path, errno: errno) }
        let size = Int(max(0, info.st_size))
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let count = bytes.withUnsafeMutableBytes { buffer in
                // [done, size) lies inside `buffer`, which holds `size` bytes.
                Glibc.read(fd, buffer.baseAddress! + done, size - done)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw .file(what: what, path: path, errno: errno)
            }
            if count == 0 { break }  // the file shrank while we read it
            done += count
        }
        return done == size ? bytes : Array(bytes[..<done])
    }
}
