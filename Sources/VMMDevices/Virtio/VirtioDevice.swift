/// A virtio device model behind a transport. The transport owns registers, status and feature negotiation;
/// the device owns its config space and its queues once activated.
///
/// Devices are not thread-safe: the VMM calls a transport and its device from one thread or under one lock.
public protocol VirtioDevice: AnyObject {
    /// DeviceID (blk 2, console 3, ...).
    var deviceID: UInt32 { get }
    /// Features the device offers; the transport adds VIRTIO_F_VERSION_1.
    var deviceFeatures: UInt64 { get }
    /// Maximum size of each queue; the count is the number of queues.
    var queueMaxSizes: [UInt16] { get }
    /// The device configuration space (read at 0x100+ with any width; bytes past the end read as 0).
    var configBytes: [UInt8] { get }
    /// A driver write into the configuration space. Most devices ignore it.
    func writeConfig(offset: Int, data: [UInt8])
    /// DRIVER_OK: `queues[i]` is nil for a queue the driver did not enable. Throwing puts the device in NEEDS_RESET.
    func activate(features: UInt64, queues: [SplitVirtqueue?], memory: any GuestMemory,
                  interrupt: VirtioInterrupt) throws(VirtioActivationError)
    /// The driver kicked queue `queue` (only after a successful activate).
    func notify(queue: Int)
    /// Status 0: forget queues and negotiated state, go back to the pre-activation state.
    func reset()
}

extension VirtioDevice {
    public func writeConfig(offset: Int, data: [UInt8]) {}
}

public enum VirtioActivationError: Error, Hashable, Sendable {
    case queueNotReady(Int)
    case invalidQueue(Int, VirtqueueError)
}
