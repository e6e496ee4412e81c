import Glibc
import KVM

/// Guest → device kicks without a vCPU exit (vmm-facts §6, §9.16): one ioeventfd per virtio queue at the
/// window's QueueNotify (4 bytes, datamatch = queue index), and one thread that polls them and hands each
/// kick to its transport as the QueueNotify write it replaces. Virtio requests (disk reads and writes) so run
/// here, off the vCPU threads. One per VM generation: the eventfds are bound to that generation's VM.
final class VirtioNotifier: Sendable {
    struct Queue: Sendable {
        var slot: DeviceSet.VirtioSlot
        var index: Int
        var eventFD: EventFD
    }

    private let queues: [Queue]
    private let wake: EventFD
    private let thread: Monitor<pthread_t?>

    init(devices: DeviceSet, vm: VirtualMachine) throws(VMMError) {
        var queues: [Queue] = []
        for slot in devices.virtio {
            for index in 0..<slot.queueCount {
                do {
                    let eventFD = try EventFD()
                    try vm.registerIOEventFD(eventFD, address: slot.base + VirtioMMIOTransportOffsets.queueNotify, length: 4,
                                             datamatch: UInt64(index))
                    queues.append(Queue(slot: slot, index: index, eventFD: eventFD))
                } catch {
                    throw error.during("bind \(slot.name) queue \(index) notifications (KVM_IOEVENTFD)")
                }
            }
        }
        self.queues = queues
        do { wake = try EventFD() } catch { throw error.during("create the notifier's wake eventfd") }
        thread = Monitor(nil)
    }

    func start() throws(VMMError) {
        let started = try Threads.start("virtio notifier") { [self] in loop() }
        thread.withLock { $0 = started }
    }

    /// Ends the thread (after the kicks already signalled are handled) and joins it.
    func stop() {
        guard let running = thread.withLock({ state -> pthread_t? in
            defer { state = nil }
            return state
        }) else { return }
        try? wake.signal()
        Threads.join(running)
    }

    private func loop() {
        var fds = ([wake] + queues.map(\.eventFD)).map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        while true {
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return  // poll on our own eventfds cannot fail otherwise
            }
            for (position, entry) in fds.enumerated().dropFirst() where entry.revents & Int16(POLLIN) != 0 {
                let queue = queues[position - 1]
                guard (try? queue.eventFD.consume()) != nil else { continue }
                let value = UInt32(queue.index)
                queue.slot.transport.write(offset: VirtioMMIOTransportOffsets.queueNotify,
                                           data: (0..<4).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) })
            }
            if fds[0].revents & Int16(POLLIN) != 0 { return }
        }
    }
}
