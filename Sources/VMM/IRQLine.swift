import KVM
import VMMDevices

/// A device's interrupt: an eventfd that KVM_IRQFD binds to `gsi` in each VM generation, so `trigger()`
/// (an 8-byte write, from any thread) injects an edge without a VM exit or a lock.
final class IRQLine: InterruptLine, Sendable {
    let gsi: UInt32
    let eventFD: EventFD

    init(gsi: UInt32) throws(VMMError) {
        self.gsi = gsi
        do { eventFD = try EventFD() } catch { throw error.during("create the eventfd for GSI \(gsi)") }
    }

    func trigger() {
        // A non-blocking eventfd write fails only if the counter would overflow (2^64 - 2 unread edges);
        // the interrupt is pending then anyway.
        try? eventFD.signal()
    }

    func register(with vm: VirtualMachine) throws(VMMError) {
        do { try vm.registerIRQFD(eventFD, gsi: gsi) } catch { throw error.during("bind GSI \(gsi) (KVM_IRQFD)") }
    }

    /// Best effort: a line that was never bound (a generation that failed half-way) is not an error.
    func unregister(from vm: VirtualMachine) {
        try? vm.unregisterIRQFD(eventFD, gsi: gsi)
    }
}
