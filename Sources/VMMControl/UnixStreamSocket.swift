import Glibc

/// A connected AF_UNIX stream socket; every read and write has a deadline. Owns its fd.
final class UnixStreamSocket: Sendable {
    let fd: Int32
    let path: String

    /// Takes ownership of an accepted fd.
    init(adopting fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    init(connectingTo path: String) throws(VMMControlError) {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .socket(operation: "socket", path: path, errno: errno) }
        let result = try UnixAddress.with(path) { address, length in connect(fd, address, length) }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw .socket(operation: "connect", path: path, errno: code)
        }
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    /// Wakes a thread blocked on this socket (its next poll sees EOF); used to stop a server.
    func shutdownBoth() { shutdown(fd, Int32(SHUT_RDWR)) }

    func write(_ bytes: [UInt8], deadline: MonotonicInstant) throws(VMMControlError) {
        var offset = 0
        while offset < bytes.count {
            try wait(for: Int16(POLLOUT), until: deadline, operation: "write to \(path)")
            let written = bytes.withUnsafeBytes { buffer in
                // offset < bytes.count, so the pointer and the length stay inside `buffer`.
                send(fd, buffer.baseAddress.map { $0 + offset }, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                if errno == EPIPE || errno == ECONNRESET { throw .closed(operation: "write to \(path)") }
                throw .socket(operation: "send to", path: path, errno: errno)
            }
            offset += written
        }
    }

    /// Reads what is available (at least one byte) before the deadline; nil at end of stream.
    func read(into buffer: inout [UInt8], deadline: MonotonicInstant) throws(VMMControlError) -> Int? {
        while true {
            try wait(for: Int16(POLLIN), until: deadline, operation: "read from \(path)")
            let count = recv(fd, &buffer, buffer.count, 0)
            if count > 0 { return count }
            if count == 0 { return nil }
            if errno == EINTR || errno == EAGAIN { continue }
            if errno == ECONNRESET { return nil }
            throw .socket(operation: "recv from", path: path, errno: errno)
        }
    }

    private func wait(for events: Int16, until deadline: MonotonicInstant, operation: String) throws(VMMControlError) {
        while true {
            let remaining = deadline - MonotonicInstant.now
            guard remaining > .zero else { throw .timeout(operation: operation) }
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&descriptor, 1, Self.milliseconds(remaining))
            if ready > 0 { return }
            if ready < 0, errno != EINTR { throw .socket(operation: "poll", path: path, errno: errno) }
        }
    }

    /// Rounded up, so a poll never returns just before the deadline and spins.
    static func milliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        let ms = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int32(clamping: max(0, ms))
    }
}
