import Synchronization

/// A split virtqueue (VIRTIO 1.x §2.7) over guest memory, seen from the device side.
///
/// Every value the guest supplies is checked: the layout when the queue is created, avail.idx and each head on
/// `pop()`, and every descriptor of a chain (see `SplitVirtqueue+Chain.swift`). Errors whose outcome is
/// `.deviceNeedsReset` are thrown; a bad chain comes back as `.failed` so the device can return it unused and
/// go on with the next request. Nothing loops more often than the queue has entries.
///
/// Not thread-safe: the owning device serializes access.
public final class SplitVirtqueue {
    public enum Pop: Hashable, Sendable {
        case empty
        case chain(DescriptorChain)
        /// The chain was consumed but is invalid: return `head` with used length 0.
        case failed(head: UInt16, VirtqueueError)
    }

    public let layout: VirtqueueLayout
    public let eventIndex: Bool
    public let indirectDescriptors: Bool
    let memory: any GuestMemory

    /// The next avail ring slot the device will read (free-running, wraps at 2^16).
    public private(set) var nextAvail: UInt16 = 0
    /// The device's used.idx (free-running).
    public private(set) var usedIndex: UInt16 = 0
    /// used.idx when the driver was last told (EVENT_IDX); nil until the first notification decision.
    var signalledUsed: UInt16?

    public var size: UInt16 { layout.size }

    /// Validates the layout: size a power of two in 1...maxSize, each ring aligned and inside one RAM region.
    public init(layout: VirtqueueLayout, maxSize: UInt16, memory: any GuestMemory,
                eventIndex: Bool = false, indirectDescriptors: Bool = false) throws(VirtqueueError) {
        let size = layout.size
        guard size > 0, size <= maxSize, size & (size - 1) == 0 else {
            throw .invalidSize(size: size, max: maxSize)
        }
        let rings: [(VirtqueueError.Ring, GuestAddress)] = [
            (.descriptorTable, layout.descriptorTable), (.availRing, layout.availRing), (.usedRing, layout.usedRing),
        ]
        for (ring, address) in rings {
            guard address.value % VirtqueueLayout.alignment(of: ring) == 0 else {
                throw .misaligned(ring, address: address.value)
            }
            let length = layout.byteLength(of: ring, eventIndex: eventIndex)
            guard memory.coversRange(address, length: length) else {
                throw .ringOutsideMemory(ring, address: address.value, length: length)
            }
        }
        self.layout = layout
        self.memory = memory
        self.eventIndex = eventIndex
        self.indirectDescriptors = indirectDescriptors
    }

    /// Takes the next available chain, if any.
    public func pop() throws(VirtqueueError) -> Pop {
        let availIndex: UInt16 = try ringRead(.availRing, offset: 2)
        // Read the ring entries only after seeing the index that publishes them.
        atomicMemoryFence(ordering: .acquiring)
        let pending = availIndex &- nextAvail
        guard pending <= size else {
            throw .availIndexJump(availIndex: availIndex, nextAvail: nextAvail, size: size)
        }
        guard pending > 0 else { return .empty }
        let head: UInt16 = try ringRead(.availRing, offset: 4 + 2 * UInt64(nextAvail % size))
        guard head < size else { throw .headOutOfRange(head: head, size: size) }
        nextAvail &+= 1
        do throws(VirtqueueError) {
            return .chain(try walkChain(head: head))
        } catch {
            return .failed(head: head, error)
        }
    }

    /// Returns a chain to the driver: used element {head, length}, then used.idx + 1 (release-ordered).
    public func addUsed(head: UInt16, length: UInt32) throws(VirtqueueError) {
        let slot = 4 + 8 * UInt64(usedIndex % size)
        try ringWrite(.usedRing, offset: slot, UInt32(head))
        try ringWrite(.usedRing, offset: slot + 4, length)
        usedIndex &+= 1
        // The element must be visible before the index that publishes it.
        atomicMemoryFence(ordering: .releasing)
        try ringWrite(.usedRing, offset: 2, usedIndex)
    }

    func ringAddress(_ ring: VirtqueueError.Ring) -> GuestAddress {
        switch ring {
        case .descriptorTable: return layout.descriptorTable
        case .availRing: return layout.availRing
        case .usedRing: return layout.usedRing
        }
    }

    /// Offsets passed here lie inside the ring's validated length, so the additions cannot overflow.
    func ringRead<T: FixedWidthInteger>(_ ring: VirtqueueError.Ring, offset: UInt64) throws(VirtqueueError) -> T {
        do throws(GuestMemoryError) {
            return try memory.readInteger(GuestAddress(ringAddress(ring).value + offset))
        } catch {
            throw .ringAccessFailed(ring)
        }
    }

    func ringWrite<T: FixedWidthInteger>(_ ring: VirtqueueError.Ring, offset: UInt64, _ value: T) throws(VirtqueueError) {
        do throws(GuestMemoryError) {
            try memory.writeInteger(GuestAddress(ringAddress(ring).value + offset), value)
        } catch {
            throw .ringAccessFailed(ring)
        }
    }
}
