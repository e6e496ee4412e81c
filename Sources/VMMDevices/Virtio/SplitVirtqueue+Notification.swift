import Synchronization

/// Notification suppression in both directions (VIRTIO 1.x §2.7.7, §2.7.10).
extension SplitVirtqueue {
    /// Whether the driver wants an interrupt for the used entries added since the last call.
    /// With EVENT_IDX: notify iff (u16)(new − used_event − 1) < (u16)(new − old), old being used.idx at the last
    /// decision. Without it: unless avail.flags has NO_INTERRUPT.
    public func needsNotification() throws(VirtqueueError) -> Bool {
        // Used entries must be visible before we read the driver's suppression state.
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        guard eventIndex else {
            let flags: UInt16 = try ringRead(.availRing, offset: 0)
            return flags & 1 == 0
        }
        let new = usedIndex
        let old = signalledUsed
        signalledUsed = new
        guard let old else { return true }
        if new == old { return false }
        let usedEvent: UInt16 = try ringRead(.availRing, offset: 4 + 2 * UInt64(size))
        return Self.needEvent(event: usedEvent, new: new, old: old)
    }

    /// vring_need_event from the spec, in wrapping 16-bit arithmetic.
    public static func needEvent(event: UInt16, new: UInt16, old: UInt16) -> Bool {
        (new &- event &- 1) < (new &- old)
    }

    /// Asks the driver to kick for the next buffer (EVENT_IDX: avail_event = nextAvail) and returns whether more
    /// buffers arrived meanwhile, so the caller processes them instead of waiting for a kick that will not come.
    /// Without EVENT_IDX the device never suppresses kicks, so there is nothing to re-arm.
    public func enableNotification() throws(VirtqueueError) -> Bool {
        guard eventIndex else { return false }
        try ringWrite(.usedRing, offset: 4 + 8 * UInt64(size), nextAvail)
        // The avail_event store must be visible before we look at avail.idx again.
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        let availIndex: UInt16 = try ringRead(.availRing, offset: 2)
        return availIndex != nextAvail
    }
}
