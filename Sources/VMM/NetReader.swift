import Glibc
import KVM
import Synchronization

/// One NIC's reader thread: waits on its backend's fd (and wake eventfd), hands the frames it reads to
/// `deliver` (which takes the device's lock), and flushes the backend's pending output when the fd is writable.
/// When the host side closes, it logs once and stops polling that fd instead of spinning on POLLHUP.
final class NetReader: Sendable {
    /// Frames handed over per lock acquisition, so one busy NIC cannot hold the device lock for long.
    static let batch = 64

    let nic: String
    private let backend: any NetBackend
    private let deliver: @Sendable ([[UInt8]]) -> Void
    private let stopping = Atomic(false)
    /// poll(2) returns so far: a closed backend must not make this climb (tests watch it).
    let wakeups = Atomic(0)
    private let thread = Mutex<pthread_t?>(nil)

    init(nic: String, backend: any NetBackend, deliver: @escaping @Sendable ([[UInt8]]) -> Void) {
        self.nic = nic
        self.backend = backend
        self.deliver = deliver
    }

    func start() throws(VMMError) {
        let started = try Threads.start("\(nic) reader") { [self] in loop() }
        thread.withLock { $0 = started }
    }

    /// Ends the thread and joins it. Idempotent.
    func stop() {
        guard let running = thread.withLock({ state -> pthread_t? in
            defer { state = nil }
            return state
        }) else { return }
        stopping.store(true, ordering: .releasing)
        try? backend.wake.signal()
        Threads.join(running)
    }

    private func loop() {
        var open = true
        while !stopping.load(ordering: .acquiring) {
            var fds = [pollfd(fd: backend.wake.fd, events: Int16(POLLIN), revents: 0)]
            if open {
                let output = backend.hasPendingOutput ? Int16(POLLOUT) : 0
                fds.append(pollfd(fd: backend.fd, events: Int16(POLLIN) | output, revents: 0))
            }
            let ready = poll(&fds, nfds_t(fds.count), -1)
            wakeups.add(1, ordering: .relaxed)
            if ready < 0 {
                if errno == EINTR { continue }
                VMMLog.note("\(nic): poll failed (\(VMMError.message(errno))); no more frames from \(backend)")
                return
            }
            if fds[0].revents != 0 { _ = try? backend.wake.consume() }
            guard open, fds.count > 1, fds[1].revents != 0 else { continue }
            let events = fds[1].revents
            if events & Int16(POLLOUT) != 0 { backend.flushPendingOutput() }
            guard events & Int16(POLLIN | POLLHUP | POLLERR | POLLNVAL) != 0 else { continue }
            let read = backend.readFrames(limit: Self.batch)
            if !read.frames.isEmpty { deliver(read.frames) }
            var closed = read.closed
            if closed == nil, read.frames.isEmpty, events & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
                closed = "poll reports an error or hang-up"  // nothing readable yet flagged: never poll it again
            }
            if let closed {
                open = false
                VMMLog.note("\(nic): \(backend): \(closed); the NIC stays, its frames are dropped from now on")
            }
        }
    }
}
