import Glibc
import KVM
import Synchronization
import VMMDevices

/// A NIC on an isolated network: a client connection to the network's vmctl-switch unix socket, frames framed
/// as `StreamFraming` says (QEMU VMs on the same switch use `-netdev stream` with the same framing).
///
/// Writes never block the guest: the socket is non-blocking, a frame the socket cannot take at all is dropped
/// (`busy`), and a frame it takes only in part keeps its tail in `pendingOutput` (at most one frame), which goes
/// out before anything else, from the next send or from the reader thread once the socket is writable again.
/// Dropping a tail instead would corrupt the stream. When the switch closes the connection, sends answer
/// `down` and the reader stops polling the socket; no reconnect.
final class SwitchBackend: NetBackend {
    private struct Output {
        var pending: [UInt8] = []
        var closed = false
    }

    let path: String
    let fd: Int32
    let wake: EventFD
    private let output = Mutex(Output())
    private let decoder = Mutex(StreamFraming())
    static let readSize = 65_536

    init(path: String, nic: String) throws(VMMError) {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .device("\(nic): socket(AF_UNIX): \(VMMError.message(errno))") }
        let connected = Self.connect(fd, to: path)
        guard connected == 0 else {
            close(fd)
            let hint = connected == ENOENT || connected == ECONNREFUSED ? " (is the network's vmctl-switch running?)" : ""
            throw .device("\(nic): connect to switch \(path): \(VMMError.message(connected))\(hint)")
        }
        // Non-blocking only after connect: a blocking connect to a listening unix socket returns at once.
        guard fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0 else {
            let code = errno
            close(fd)
            throw .device("\(nic): make the switch socket non-blocking: \(VMMError.message(code))")
        }
        do { wake = try EventFD() } catch {
            close(fd)
            throw error.during("\(nic): create the reader's wake eventfd")
        }
        self.fd = fd
        self.path = path
    }

    /// A switch connection vmctl-launch made (the switch's socket is outside a confined VMM's view).
    init(descriptor: Int32, path: String, nic: String) throws(VMMError) {
        var type: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(descriptor, SOL_SOCKET, SO_TYPE, &type, &length) == 0, type == Int32(SOCK_STREAM.rawValue) else {
            throw .device("\(nic): switch \(path) as descriptor \(descriptor): not a connected stream socket")
        }
        guard fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK) == 0 else {
            throw .device("\(nic): make the switch socket non-blocking: \(VMMError.message(errno))")
        }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        do { wake = try EventFD() } catch {
            close(descriptor)
            throw error.during("\(nic): create the reader's wake eventfd")
        }
        self.fd = descriptor
        self.path = path
    }

    deinit { close(fd) }

    var description: String { "switch \(path)" }
    var hasPendingOutput: Bool { output.withLock { !$0.pending.isEmpty && !$0.closed } }

    func send(_ frame: [UInt8]) -> NetSendResult {
        let (result, leftTail) = output.withLock { state -> (NetSendResult, Bool) in
            guard !state.closed else { return (.down, false) }
            if !state.pending.isEmpty {
                flush(&state)
                if state.closed { return (.down, false) }
                if !state.pending.isEmpty { return (.busy, false) }
            }
            let bytes = StreamFraming.encode(frame)
            switch write(bytes[...]) {
            case .wrote(let count) where count == bytes.count:
                return (.sent, false)
            case .wrote(let count) where count > 0:
                state.pending = Array(bytes[count...])
                return (.sent, true)
            case .wrote:
                return (.busy, false)
            case .failed:
                state.closed = true
                return (.down, false)
            }
        }
        // The reader is asleep in poll without POLLOUT: have it look again.
        if leftTail { try? wake.signal() }
        return result
    }

    func flushPendingOutput() {
        output.withLock { flush(&$0) }
    }

    func readFrames(limit: Int) -> NetRead {
        var result = NetRead()
        var buffer = [UInt8](repeating: 0, count: Self.readSize)
        while result.frames.count < limit {
            let count = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count < 0 && errno == EINTR { continue }
            if count < 0 && errno == EAGAIN { break }
            guard count > 0 else {
                result.closed = count == 0 ? "the switch closed the connection" : VMMError.message(errno)
                break
            }
            do throws(StreamFraming.Failure) {
                result.frames += try decoder.withLock { (state) throws(StreamFraming.Failure) -> [[UInt8]] in
                    try state.feed(buffer[..<count])
                }
            } catch {
                switch error {
                case .oversize(let length):
                    result.closed = "the switch announced a \(length)-byte frame: not the stream protocol"
                }
                break
            }
        }
        if result.closed != nil { output.withLock { $0.closed = true } }
        return result
    }

    private enum WriteResult {
        case wrote(Int)
        case failed
    }

    private func write(_ bytes: ArraySlice<UInt8>) -> WriteResult {
        while true {
            let written = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            if written >= 0 { return .wrote(written) }
            if errno == EINTR { continue }
            return errno == EAGAIN ? .wrote(0) : .failed
        }
    }

    private func flush(_ state: inout Output) {
        guard !state.pending.isEmpty, !state.closed else { return }
        switch write(state.pending[...]) {
        case .wrote(let count): state.pending.removeFirst(count)
        case .failed: state.closed = true
        }
    }

    /// connect(2) to a unix socket path; returns 0 or errno.
    private static func connect(_ fd: Int32, to path: String) -> Int32 {
        let bytes = Array(path.utf8)
        var address = sockaddr_un()
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return ENAMETOOLONG }
        address.sun_family = sa_family_t(AF_UNIX)
        // sun_path is a fixed 108-byte array, zeroed by the initializer; the path fits with its NUL (checked above).
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        let result = withUnsafePointer(to: &address) { pointer in
            // sockaddr_un starts with the family field, as connect(2) expects of a sockaddr.
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0 ? 0 : errno
    }
}
