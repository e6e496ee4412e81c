import Foundation

/// A connected AF_UNIX stream socket with deadlines on every read and write. Owns its fd.
final class UnixSocket {
    /// For poll(2) and non-blocking I/O in the module (an interactive session); only this class closes it.
    let fd: Int32

    enum Failure: Error, CustomStringConvertible {
        case pathTooLong(String)
        case connect(String, Int32)
        case timeout(String)
        case closed(String)
        case io(String, Int32)

        var description: String {
            switch self {
            case .pathTooLong(let path): return "socket path is too long for AF_UNIX (\(path.utf8.count) bytes, max 107): \(path); use a shorter --state-dir"
            case .connect(let path, let code): return "cannot connect to \(path): \(String(cString: strerror(code)))"
            case .timeout(let what): return "timed out \(what)"
            case .closed(let what): return "connection closed \(what)"
            case .io(let what, let code): return "\(what) failed: \(String(cString: strerror(code)))"
            }
        }
    }

    init(connectingTo path: String) throws {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { throw Failure.pathTooLong(path) }
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure.io("socket()", errno) }
        // sun_path is a fixed C array: copy the path bytes into it; capacity was checked above.
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let result = withUnsafePointer(to: &address) { pointer in
            // sockaddr_un is layout-compatible with sockaddr, as connect(2) expects.
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw Failure.connect(path, code)
        }
    }

    deinit { close(fd) }

    func write(_ data: Data, deadline: ContinuousClock.Instant) throws {
        var offset = 0
        while offset < data.count {
            try wait(for: Int16(POLLOUT), until: deadline, what: "writing")
            let written = data.withUnsafeBytes { buffer in
                // The slice stays inside `buffer`: offset < count.
                send(fd, buffer.baseAddress!.advanced(by: offset), data.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw Failure.io("send", errno)
            }
            offset += written
        }
    }

    /// Reads whatever is available (at least one byte) before the deadline.
    func read(deadline: ContinuousClock.Instant) throws -> Data {
        try wait(for: Int16(POLLIN), until: deadline, what: "reading")
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = recv(fd, &buffer, buffer.count, 0)
        if count < 0 { throw Failure.io("recv", errno) }
        if count == 0 { throw Failure.closed("by the peer") }
        return Data(buffer[..<count])
    }

    private func wait(for events: Int16, until deadline: ContinuousClock.Instant, what: String) throws {
        while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { throw Failure.timeout(what) }
            let ms = Int32(min(Int64(Int32.max), remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000 + 1))
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&descriptor, 1, ms)
            if ready > 0 { return }
            if ready < 0, errno != EINTR { throw Failure.io("poll", errno) }
        }
    }
}
