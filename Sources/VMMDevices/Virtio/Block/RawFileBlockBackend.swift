#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A raw disk image file, read and written with pread/pwrite and flushed with fsync. Owns its descriptor.
/// The size is taken once at open: the device's capacity does not change under a running guest.
public final class RawFileBlockBackend: BlockBackend {
    public let path: String
    public let readOnly: Bool
    public let size: UInt64
    private let fd: Int32

    public init(path: String, readOnly: Bool) throws(BlockBackendError) {
        let descriptor = open(path, (readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC)
        guard descriptor >= 0 else { throw .open(path: path, errno: errno) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            let code = errno
            close(descriptor)
            throw .open(path: path, errno: code)
        }
        self.path = path
        self.readOnly = readOnly
        self.fd = descriptor
        size = UInt64(max(0, info.st_size))
    }

    /// A disk vmctl-launch opened (read-write unless `readOnly`); `path` only names it.
    public init(descriptor: Int32, path: String, readOnly: Bool) throws(BlockBackendError) {
        let flags = fcntl(descriptor, F_GETFL)
        var info = stat()
        guard flags >= 0, fstat(descriptor, &info) == 0 else { throw .open(path: path, errno: errno) }
        guard readOnly || flags & O_ACCMODE == O_RDWR else { throw .open(path: path, errno: EBADF) }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        self.path = path
        self.readOnly = readOnly
        self.fd = descriptor
        size = UInt64(max(0, info.st_size))
    }

    deinit {
        close(fd)
    }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockBackendError) {
        guard contains(offset: offset, length: UInt64(buffer.count)) else {
            throw .outOfRange(offset: offset, length: UInt64(buffer.count))
        }
        var done = 0
        while done < buffer.count {
            guard let base = buffer.baseAddress else { return }
            // [done, count) is inside `buffer`; the kernel writes at most count - done bytes there.
            let result = pread(fd, base + done, buffer.count - done, off_t(offset + UInt64(done)))
            if result < 0 {
                if errno == EINTR { continue }
                throw .io("pread", errno)
            }
            if result == 0 {
                // The file shrank under us: what is gone reads as zeros ([done, count) is inside `buffer`).
                UnsafeMutableRawBufferPointer(rebasing: buffer[done...]).initializeMemory(as: UInt8.self, repeating: 0)
                return
            }
            done += result
        }
    }

    public func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockBackendError) {
        guard !readOnly else { throw .readOnly }
        guard contains(offset: offset, length: UInt64(buffer.count)) else {
            throw .outOfRange(offset: offset, length: UInt64(buffer.count))
        }
        var done = 0
        while done < buffer.count {
            guard let base = buffer.baseAddress else { return }
            // [done, count) is inside `buffer`; the kernel only reads it.
            let result = pwrite(fd, base + done, buffer.count - done, off_t(offset + UInt64(done)))
            if result < 0 {
                if errno == EINTR { continue }
                throw .io("pwrite", errno)
            }
            if result == 0 { throw .io("pwrite", EIO) }
            done += result
        }
    }

    public func flush() throws(BlockBackendError) {
        guard !readOnly else { return }
        while fsync(fd) != 0 {
            if errno != EINTR { throw .io("fsync", errno) }
        }
    }
}
