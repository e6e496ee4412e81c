import CKVM
import Glibc

/// Interrupt injection and guest-kick notification: safe to call from device threads.
extension VirtualMachine {
    /// Where an ioeventfd listens.
    public enum IOEventSpace: Sendable {
        case mmio
        case pio
    }

    /// KVM_IRQ_LINE: sets the level of `irq` (a GSI: 0–15 PIC+IOAPIC, 16–23 IOAPIC with the default routing).
    public func setIRQLine(_ irq: UInt32, level: Bool) throws(KVMError) {
        var request = kvm_irq_level()
        request.irq = irq
        request.level = level ? 1 : 0
        // `request` lives for the duration of the call.
        _ = try checkIoctl(ckvm_ioctl_ptr(fd, CKVM_IRQ_LINE, &request), "KVM_IRQ_LINE")
    }

    /// An edge on `irq`: raise, then lower.
    public func pulseIRQ(_ irq: UInt32) throws(KVMError) {
        try setIRQLine(irq, level: true)
        try setIRQLine(irq, level: false)
    }

    /// KVM_IRQFD: each write to `eventFD` injects an edge on `gsi`. KVM keeps its own reference to the file.
    public func registerIRQFD(_ eventFD: EventFD, gsi: UInt32) throws(KVMError) {
        try irqfd(eventFD, gsi: gsi, flags: 0, name: "KVM_IRQFD")
    }

    public func unregisterIRQFD(_ eventFD: EventFD, gsi: UInt32) throws(KVMError) {
        try irqfd(eventFD, gsi: gsi, flags: UInt32(KVM_IRQFD_FLAG_DEASSIGN), name: "KVM_IRQFD(deassign)")
    }

    private func irqfd(_ eventFD: EventFD, gsi: UInt32, flags: UInt32, name: String) throws(KVMError) {
        var request = kvm_irqfd()
        request.fd = UInt32(bitPattern: eventFD.fd)
        request.gsi = gsi
        request.flags = flags
        // `request` lives for the duration of the call.
        _ = try checkIoctl(ckvm_ioctl_ptr(fd, CKVM_IRQFD, &request), name)
    }

    /// KVM_IOEVENTFD: a guest write of `length` bytes (1, 2, 4 or 8) at `address` signals `eventFD` instead of
    /// exiting; with `datamatch`, only writes of that value (virtio-mmio QueueNotify: the queue index).
    public func registerIOEventFD(_ eventFD: EventFD, address: UInt64, length: UInt32, datamatch: UInt64? = nil,
                                  space: IOEventSpace = .mmio) throws(KVMError) {
        try ioeventfd(eventFD, address: address, length: length, datamatch: datamatch, space: space, deassign: false)
    }

    public func unregisterIOEventFD(_ eventFD: EventFD, address: UInt64, length: UInt32, datamatch: UInt64? = nil,
                                    space: IOEventSpace = .mmio) throws(KVMError) {
        try ioeventfd(eventFD, address: address, length: length, datamatch: datamatch, space: space, deassign: true)
    }

    private func ioeventfd(_ eventFD: EventFD, address: UInt64, length: UInt32, datamatch: UInt64?,
                           space: IOEventSpace, deassign: Bool) throws(KVMError) {
        guard [1, 2, 4, 8].contains(length) else { throw KVMError.invalidArgument("ioeventfd length \(length)") }
        var request = kvm_ioeventfd()
        request.addr = address
        request.len = length
        request.fd = eventFD.fd
        var flags: UInt32 = 0
        if let datamatch {
            request.datamatch = datamatch
            flags |= CKVM_IOEVENTFD_FLAG_DATAMATCH
        }
        if space == .pio { flags |= CKVM_IOEVENTFD_FLAG_PIO }
        if deassign { flags |= CKVM_IOEVENTFD_FLAG_DEASSIGN }
        request.flags = flags
        // `request` lives for the duration of the call.
        _ = try checkIoctl(ckvm_ioctl_ptr(fd, CKVM_IOEVENTFD, &request), deassign ? "KVM_IOEVENTFD(deassign)" : "KVM_IOEVENTFD")
    }
}
