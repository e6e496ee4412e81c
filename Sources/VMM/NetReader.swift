import Glibc
import KVM
import Synchronization

/// One NIC's reader thread: waits on its backend's fd (and wake eventfd), hands the frames it reads to
/// `deliver` (which takes the device's lock), and flushes the backend's pending output when the fd is writable.
/// When the host side closes, it logs once and stops polling that fd instead of spinning on POLLHUP.
///
/// Backpressure: it hands the device no more frames than the device has room for, keeps the rest of what it read
/// (one read's worth at most) and, while the device is full, stops polling the backend for input, so further
/// frames wait in the switch socket or the tap (the switch drops them in its bounded per-port queue, the tap in the
/// kernel's). `deviceHasRoom()`, from the device when the guest posts receive buffers, wakes it again. Output
/// still flushes on POLLOUT meanwhile.
final class NetReader: Sendable {
    /// Frames handed over per lock acquisition, so one busy NIC cannot hold the device lock for long.
    static let batch = 64

    let nic: String
    let backend: any NetBackend
    private let deliver: @Sendable ([[UInt8]]) -> Int
    private let stopping = Atomic(false)
    /// True while the thread waits for the device to make room (it then needs a wake to read again).
    private let waitingForRoom = Atomic(false)
    /// poll(2) returns so far: a closed backend or a full device must not make this climb (tests watch it).
    let wakeups = Atomic(0)
    private let thread = Mutex<pthread_t?>(nil)

    /// `deliver` hands frames to the device (it never gets more than the room it last reported) and answers how
    /// many more the device takes now (`Int.max`: no limit); given no frames it only answers.
    init(nic: String, backend: any NetBackend, deliver: @escaping @Sendable ([[UInt8]]) -> Int) {
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

    /// The device may take frames again (the guest posted receive buffers, or a reset): wakes the thread if it
    /// waits for that. Cheap when it does not; safe under the device's lock.
    func deviceHasRoom() {
        if waitingForRoom.load(ordering: .sequentiallyConsistent) { try? backend.wake.signal() }
    }

    /// Whether the thread is waiting for the device to make room (for tests).
    var isWaitingForRoom: Bool { waitingForRoom.load(ordering: .sequentiallyConsistent) }

    private func loop() {
        var open = true
        var held: ArraySlice<[UInt8]> = []  // read but not yet taken: at most one readFrames' worth
        var room = deliver([])
        while !stopping.load(ordering: .acquiring) {
            while !held.isEmpty, room > 0 {
                let count = min(room, Self.batch, held.count)
                room = deliver(Array(held.prefix(count)))
                held = held.dropFirst(count)
            }
            if room == 0 {
                // Say so before looking again: a guest that makes room in between then finds the flag and wakes us.
                waitingForRoom.store(true, ordering: .sequentiallyConsistent)
                room = deliver([])
                if room > 0 {
                    waitingForRoom.store(false, ordering: .sequentiallyConsistent)
                    continue
                }
            }
            let input = open && room > 0
            let output = open && backend.hasPendingOutput
            var fds = [pollfd(fd: backend.wake.fd, events: Int16(POLLIN), revents: 0)]
            if input || output {
                fds.append(pollfd(fd: backend.fd, events: (input ? Int16(POLLIN) : 0) | (output ? Int16(POLLOUT) : 0), revents: 0))
            }
            let ready = poll(&fds, nfds_t(fds.count), -1)
            wakeups.add(1, ordering: .relaxed)
            waitingForRoom.store(false, ordering: .sequentiallyConsistent)
            if ready < 0 {
                if errno == EINTR { continue }
                VMMLog.note("\(nic): poll failed (\(VMMError.message(errno))); no more frames from \(backend)")
                return
            }
            if fds[0].revents != 0 { _ = try? backend.wake.consume() }
            guard fds.count > 1, fds[1].revents != 0 else { continue }
            let events = fds[1].revents
            if events & Int16(POLLOUT) != 0 { backend.flushPendingOutput() }
            // While the device is full a hang-up waits too: it is found by the read after the guest makes room.
            guard input, events & Int16(POLLIN | POLLHUP | POLLERR | POLLNVAL) != 0 else { continue }
            let read = backend.readFrames(limit: min(room, Self.batch))
            held = read.frames[...]
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
