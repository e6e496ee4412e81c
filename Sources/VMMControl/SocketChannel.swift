import Glibc
import Synchronization

/// A raw byte stream between the VMM and one client on a unix socket, like QEMU's `-chardev socket,server=on,
/// wait=off`: the serial console (`console.sock`) or the virtio-console agent channel (`agent.sock`).
///
/// - One client at a time. While one is connected the socket is not accepted from: a second client's connect
///   succeeds (the listen backlog) but it waits, reading nothing, until the first one leaves.
/// - `send` never blocks (it is called from vCPU threads, under a device's lock): bytes go to a bounded buffer
///   that the channel's thread flushes; with no client they are discarded, and what a slow client leaves
///   beyond `outputLimit` is dropped and counted in `droppedBytes`.
/// - The client's bytes go to `deliver`, which returns how many it took; the rest is offered again every
///   millisecond and the socket is not read meanwhile, so a guest that reads slowly slows the client down.
/// - `connected` hears true when a client is accepted (before its first byte is delivered) and false when it has
///   left (after its last byte was taken), on the channel's thread.
public final class SocketChannel: Sendable {
    public let path: String
    public let outputLimit: Int
    private let listener: UnixListener
    /// Written once by `stop()` to wake the thread.
    private let wakeRead: Int32
    private let wakeWrite: Int32
    /// Written (non-blocking) by `send` when output starts to wait, so the thread polls for POLLOUT.
    private let kickRead: Int32
    private let kickWrite: Int32
    private let link = Mutex(Link())
    private let thread = Mutex<pthread_t?>(nil)
    private let stopping = Atomic(false)
    private let dropped = Atomic(0)

    /// The connected client and the output it has not taken yet.
    private struct Link {
        var client: UnixStreamSocket?
        var output: [UInt8] = []
    }

    /// Binds `path` (mode 0600, a stale socket file replaced); serves nothing until `start`.
    public init(path: String, descriptor: Int32? = nil, outputLimit: Int = 64 * 1024) throws(VMMControlError) {
        self.path = path
        self.outputLimit = outputLimit
        if let descriptor { listener = try UnixListener(adopting: descriptor, path: path) } else { listener = try UnixListener(path: path) }
        var wake: [Int32] = [-1, -1]
        var kick: [Int32] = [-1, -1]
        guard pipe(&wake) == 0 else { throw .socket(operation: "pipe for", path: path, errno: errno) }
        guard pipe(&kick) == 0 else {
            let code = errno
            wake.forEach { _ = close($0) }
            throw .socket(operation: "pipe for", path: path, errno: code)
        }
        let fds = wake + kick
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        for fd in kick { _ = fcntl(fd, F_SETFL, O_NONBLOCK) }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        kickRead = fds[2]
        kickWrite = fds[3]
    }

    deinit {
        for fd in [wakeRead, wakeWrite, kickRead, kickWrite] { close(fd) }
    }

    /// Bytes a slow client did not take in time (never counted: output while nobody is connected).
    public var droppedBytes: Int { dropped.load(ordering: .relaxed) }

    /// Whether a client is connected now.
    public var isConnected: Bool { link.withLock { $0.client != nil } }

    /// Starts the channel's thread. Once only.
    public func start(deliver: @escaping @Sendable ([UInt8]) -> Int,
                      connected: @escaping @Sendable (Bool) -> Void = { _ in }) throws(VMMControlError) {
        let started = try ThreadLauncher.start("start the thread of \(path)", joinable: true) { [self] in run(deliver, connected) }
        thread.withLock { $0 = started }
    }

    /// Ends the thread, drops the client and removes the socket file (when the channel is released). Idempotent.
    public func stop() {
        guard let running = thread.withLock({ state -> pthread_t? in
            defer { state = nil }
            return state
        }) else { return }
        stopping.store(true, ordering: .releasing)
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        pthread_join(running, nil)
    }

    /// Queues `bytes` for the client and writes what the socket takes at once; never blocks.
    public func send(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        let startedWaiting = link.withLock { link -> Bool in
            guard let client = link.client else { return false }
            let room = outputLimit - link.output.count
            if room < bytes.count { dropped.add(bytes.count - max(0, room), ordering: .relaxed) }
            guard room > 0 else { return false }
            let wasWaiting = !link.output.isEmpty
            link.output += bytes.prefix(room)
            Self.flush(&link, to: client)
            return !wasWaiting && !link.output.isEmpty
        }
        if startedWaiting {
            var byte: UInt8 = 1
            _ = write(kickWrite, &byte, 1)   // non-blocking: a full pipe already says the same
        }
    }

    /// Writes as much pending output as the socket takes without blocking; false when the client is gone.
    @discardableResult
    private static func flush(_ link: inout Link, to client: UnixStreamSocket) -> Bool {
        while !link.output.isEmpty {
            let written = link.output.withUnsafeBytes { Glibc.send(client.fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
            if written > 0 {
                link.output.removeFirst(written)
                continue
            }
            if written < 0, errno == EINTR { continue }
            return written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)
        }
        return true
    }

    private func run(_ deliver: @Sendable ([UInt8]) -> Int, _ connected: @Sendable (Bool) -> Void) {
        while !stopping.load(ordering: .acquiring) {
            let fd: Int32?
            do { fd = try listener.accept(wake: wakeRead, timeoutMs: 1_000) } catch {
                usleep(10_000)   // an unexpected accept failure: keep the loop alive, slowly
                continue
            }
            guard let fd else { continue }
            let client = UnixStreamSocket(adopting: fd, path: path)
            link.withLock { $0 = Link(client: client) }
            connected(true)
            serve(client, deliver)
            link.withLock { $0 = Link() }
            connected(false)
        }
    }

    /// Relays until the client leaves or the channel stops.
    private func serve(_ client: UnixStreamSocket, _ deliver: @Sendable ([UInt8]) -> Int) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var input: ArraySlice<UInt8> = []
        while !stopping.load(ordering: .acquiring) {
            if !input.isEmpty {
                input = input.dropFirst(deliver(Array(input)))
            }
            let wantsOutput = link.withLock { !$0.output.isEmpty }
            var events = Int16(input.isEmpty ? POLLIN : 0)
            if wantsOutput { events |= Int16(POLLOUT) }
            var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0), pollfd(fd: client.fd, events: events, revents: 0),
                       pollfd(fd: kickRead, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 3, input.isEmpty ? -1 : 1)
            if ready < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[0].revents != 0 { return }
            if fds[2].revents != 0 {
                var drain = [UInt8](repeating: 0, count: 64)
                _ = read(kickRead, &drain, drain.count)
                continue   // poll again, now for POLLOUT
            }
            let revents = fds[1].revents
            // Gone while its input waits for the guest: keep offering it, but not in a busy loop.
            if revents & Int16(POLLHUP | POLLERR) != 0, !input.isEmpty { usleep(1_000) }
            if revents & Int16(POLLOUT) != 0 {
                guard link.withLock({ Self.flush(&$0, to: client) }) else { return }
            }
            if revents & Int16(POLLIN) != 0 || revents & Int16(POLLHUP | POLLERR) != 0 && input.isEmpty {
                let count = recv(client.fd, &buffer, buffer.count, 0)
                if count == 0 { return }
                if count < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    return
                }
                input = ArraySlice(buffer[..<count])
            }
        }
    }
}
