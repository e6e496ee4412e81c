/// Where the driver put one split virtqueue, as written to the QueueNum/QueueDesc/QueueDriver/QueueDevice registers.
/// Nothing here is trusted until `SplitVirtqueue.init` has validated it.
public struct VirtqueueLayout: Hashable, Sendable {
    public var size: UInt16
    public var descriptorTable: GuestAddress
    public var availRing: GuestAddress
    public var usedRing: GuestAddress

    public init(size: UInt16, descriptorTable: GuestAddress, availRing: GuestAddress, usedRing: GuestAddress) {
        self.size = size
        self.descriptorTable = descriptorTable
        self.availRing = availRing
        self.usedRing = usedRing
    }

    /// Bytes of each ring for this size: desc 16·N; avail 4 + 2·N (+2 used_event); used 4 + 8·N (+2 avail_event).
    public func byteLength(of ring: VirtqueueError.Ring, eventIndex: Bool) -> UInt64 {
        let n = UInt64(size)
        let event: UInt64 = eventIndex ? 2 : 0
        switch ring {
        case .descriptorTable: return 16 * n
        case .availRing: return 4 + 2 * n + event
        case .usedRing: return 4 + 8 * n + event
        }
    }

    static func alignment(of ring: VirtqueueError.Ring) -> UInt64 {
        switch ring {
        case .descriptorTable: return 16
        case .availRing: return 2
        case .usedRing: return 4
        }
    }
}
