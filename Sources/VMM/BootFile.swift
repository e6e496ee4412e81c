import Glibc

/// A kernel or initrd, opened when the machine is built and read whole at every boot with pread, so a reset opens
/// no file: vmctl-vmm's seccomp filter forbids open (docs/vmm.md, "Seccomp"). Owns its descriptor.
final class BootFile: Sendable {
    let path: String
    let what: String
    private let fd: Int32

    init(_ path: String, what: String) throws(VMMError) {
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .file(what: what, path: path, errno: errno) }
        self.path = path
        self.what = what
    }

    /// A kernel or initrd vmctl-launch opened (a confined VMM opens no path); `path` only names it.
    init(descriptor: Int32, path: String, what: String) throws(VMMError) {
        guard fcntl(descriptor, F_SETFD, FD_CLOEXEC) == 0 else { throw .file(what: what, path: "\(path) (descriptor \(descriptor))", errno: errno) }
        fd = descriptor
        self.path = path
        self.what = what
    }

    deinit { close(fd) }

    /// The whole file as it is now.
    func read() throws(VMMError) -> [UInt8] {
        // lseek rather than fstat: glibc's fstat is newfstatat, which takes a path too, and the filter leaves it out.
        let end = lseek(fd, 0, SEEK_END)
        guard end >= 0 else { throw .file(what: what, path: path, errno: errno) }
        let size = Int(end)
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let count = bytes.withUnsafeMutableBytes { buffer in
                // [done, size) lies inside `buffer`, which holds `size` (> done) bytes, so baseAddress is not nil.
                pread(fd, buffer.baseAddress.map { $0 + done }, size - done, off_t(done))
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
