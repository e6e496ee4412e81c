import CKVM
import Glibc

/// An eventfd (for KVM_IRQFD and KVM_IOEVENTFD): owns the fd and closes it in deinit.
public final class EventFD: Sendable {
    public let fd: Int32

    public init(initialValue: UInt32 = 0, nonBlocking: Bool = true) throws(KVMError) {
        fd = try checkSystem(ckvm_eventfd(initialValue, nonBlocking ? 1 : 0), "eventfd")
    }

    deinit { _ = ckvm_close(fd) }

    /// Adds `value` to the counter (wakes readers; injects the IRQ when bound by KVM_IRQFD).
    public func signal(_ value: UInt64 = 1) throws(KVMError) {
        _ = try checkSystem(ckvm_eventfd_write(fd, value), "write(eventfd)")
    }

    /// Reads and resets the counter; nil when it is zero (non-blocking fd).
    public func consume() throws(KVMError) -> UInt64? {
        var value: UInt64 = 0
        let result = ckvm_eventfd_read(fd, &value)
        if result == -EAGAIN { return nil }
        _ = try checkSystem(result, "read(eventfd)")
        return value
    }
}
