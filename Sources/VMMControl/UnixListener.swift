import Glibc

/// A listening AF_UNIX stream socket at a path. Owns its fd and removes the socket file when closed.
final class UnixListener: Sendable {
    let fd: Int32
    let path: String
    /// Whether closing removes the socket file: not for an adopted socket, whose file lies outside the VMM's view.
    private let ownsPath: Bool

    /// Binds `path` (mode 0600). A stale socket file (nobody answers) is replaced; a live one or any other
    /// kind of file is an error.
    init(path: String, backlog: Int32 = 64) throws(VMMControlError) {
        try Self.clearStale(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .socket(operation: "socket", path: path, errno: errno) }
        var ok = false
        defer { if !ok { close(fd) } }
        let bound = try UnixAddress.with(path) { address, length in bind(fd, address, length) }
        guard bound == 0 else { throw .socket(operation: "bind", path: path, errno: errno) }
        chmod(path, 0o600)
        guard listen(fd, backlog) == 0 else {
            let code = errno
            unlink(path)
            throw .socket(operation: "listen on", path: path, errno: code)
        }
        ok = true
        self.fd = fd
        self.path = path
        ownsPath = true
    }

    /// A socket someone else bound and listens on (vmctl-launch, for a confined VMM); `path` only names it.
    init(adopting descriptor: Int32, path: String) throws(VMMControlError) {
        var listening: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0 else {
            throw .socket(operation: "adopt descriptor \(descriptor) for", path: path, errno: errno)
        }
        guard listening == 1 else { throw .socket(operation: "adopt descriptor \(descriptor) (not listening) for", path: path, errno: EINVAL) }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        fd = descriptor
        self.path = path
        ownsPath = false
    }

    deinit {
        close(fd)
        removeFile()
    }

    /// Removes the socket file this listener bound (an adopted one's is not ours to remove).
    func removeFile() {
        if ownsPath { unlink(path) }
    }

    /// Waits up to `timeoutMs` for a connection, also returning early when `wake` becomes readable.
    /// Returns the accepted fd, or nil when woken or timed out.
    func accept(wake: Int32, timeoutMs: Int32) throws(VMMControlError) -> Int32? {
        var descriptors = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
        let ready = poll(&descriptors, 2, timeoutMs)
        if ready < 0 {
            if errno == EINTR { return nil }
            throw .socket(operation: "poll", path: path, errno: errno)
        }
        guard descriptors[1].revents == 0, descriptors[0].revents & Int16(POLLIN) != 0 else { return nil }
        let client = Glibc.accept(fd, nil, nil)
        if client >= 0 {
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)   // accept4 is not visible from Swift; the VMM does not fork meanwhile
            return client
        }
        switch errno {
        // The peer gave up before we took it, or we are out of fds for a moment: keep serving.
        case EINTR, EAGAIN, ECONNABORTED, EPROTO: return nil
        case EMFILE, ENFILE, ENOBUFS, ENOMEM:
            usleep(10_000)   // the pending connection stays readable: back off instead of spinning
            return nil
        default: throw .socket(operation: "accept on", path: path, errno: errno)
        }
    }

    private static func clearStale(_ path: String) throws(VMMControlError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else { throw .notASocket(path) }
        if (try? UnixStreamSocket(connectingTo: path)) != nil { throw .socketInUse(path) }
        unlink(path)
    }
}
