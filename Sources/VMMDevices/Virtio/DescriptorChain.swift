/// One guest buffer of a validated chain: non-empty, inside one guest RAM region, read-only or device-writable.
public struct VirtqueueBuffer: Hashable, Sendable {
    public var address: GuestAddress
    public var length: UInt32
    public var writable: Bool

    public init(address: GuestAddress, length: UInt32, writable: Bool) {
        self.address = address
        self.length = length
        self.writable = writable
    }
}

/// A descriptor chain taken from the available ring, with indirect tables flattened. Readable buffers all come
/// before writable ones; the total length fits in a UInt32.
public struct DescriptorChain: Hashable, Sendable {
    /// The head index to hand back in the used ring.
    public var head: UInt16
    public var buffers: [VirtqueueBuffer]

    public init(head: UInt16, buffers: [VirtqueueBuffer]) {
        self.head = head
        self.buffers = buffers
    }

    public var readable: ArraySlice<VirtqueueBuffer> { buffers.prefix { !$0.writable } }
    public var writable: ArraySlice<VirtqueueBuffer> { buffers.drop { !$0.writable } }
    public var readableLength: UInt64 { readable.reduce(0) { $0 + UInt64($1.length) } }
    public var writableLength: UInt64 { writable.reduce(0) { $0 + UInt64($1.length) } }
}

/// A byte range of guest memory inside one buffer.
public struct GuestSpan: Hashable, Sendable {
    public var address: GuestAddress
    public var length: UInt64
}

extension Collection where Element == VirtqueueBuffer {
    /// The guest ranges covering bytes [offset, offset+count) of these buffers taken end to end, or nil when the
    /// buffers are shorter than that. Buffers are validated, so no address arithmetic here can overflow.
    public func spans(from offset: UInt64, count: UInt64) -> [GuestSpan]? {
        var result: [GuestSpan] = []
        var skip = offset
        var remaining = count
        for buffer in self where remaining > 0 {
            let length = UInt64(buffer.length)
            if skip >= length {
                skip -= length
                continue
            }
            let take = Swift.min(length - skip, remaining)
            result.append(GuestSpan(address: GuestAddress(buffer.address.value + skip), length: take))
            remaining -= take
            skip = 0
        }
        return remaining == 0 ? result : nil
    }
}
