/// Descriptor flags (VIRTIO 1.x §2.7.5).
enum DescriptorFlag {
    static let next: UInt16 = 1
    static let write: UInt16 = 2
    static let indirect: UInt16 = 4
}

/// One raw 16-byte descriptor as the guest wrote it.
struct RawDescriptor {
    var address: UInt64
    var length: UInt32
    var flags: UInt16
    var next: UInt16

    init(_ bytes: [UInt8]) {
        func field<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
            (0..<MemoryLayout<T>.size).reversed().reduce(T(0)) { $0 << 8 | T(bytes[offset + $1]) }
        }
        address = field(0, UInt64.self)
        length = field(8, UInt32.self)
        flags = field(12, UInt16.self)
        next = field(14, UInt16.self)
    }
}

extension SplitVirtqueue {
    /// Walks the chain starting at `head` (already checked < size), following NEXT links and at most one indirect
    /// table. Each table is walked at most `entries` times, so a loop or an overlong chain ends with
    /// `.chainTooLong` instead of spinning.
    func walkChain(head: UInt16) throws(VirtqueueError) -> DescriptorChain {
        var table = layout.descriptorTable
        var entries = UInt32(size)
        var inIndirect = false
        var index = head
        var visited: UInt32 = 0
        var total: UInt64 = 0
        var seenWritable = false
        var buffers: [VirtqueueBuffer] = []

        while true {
            visited += 1
            guard visited <= entries else { throw .chainTooLong(limit: entries) }
            let descriptor = try readDescriptor(table: table, index: index, inIndirect: inIndirect)

            if descriptor.flags & DescriptorFlag.indirect != 0 {
                guard indirectDescriptors else { throw .indirectNotNegotiated }
                guard !inIndirect else { throw .nestedIndirect }
                guard descriptor.flags & DescriptorFlag.next == 0 else { throw .indirectWithNext }
                let length = descriptor.length
                guard length > 0, length % 16 == 0, length / 16 <= UInt32(size) else { throw .indirectBadLength(length) }
                guard memory.coversRange(GuestAddress(descriptor.address), length: UInt64(length)) else {
                    throw .indirectOutsideMemory(address: descriptor.address, length: length)
                }
                table = GuestAddress(descriptor.address)
                entries = length / 16
                inIndirect = true
                index = 0
                visited = 0
                continue
            }

            guard descriptor.length > 0 else { throw .zeroLength(index: index) }
            let address = GuestAddress(descriptor.address)
            guard memory.coversRange(address, length: UInt64(descriptor.length)) else {
                throw .bufferOutsideMemory(address: descriptor.address, length: descriptor.length)
            }
            let writable = descriptor.flags & DescriptorFlag.write != 0
            guard writable || !seenWritable else { throw .readableAfterWritable(index: index) }
            seenWritable = seenWritable || writable
            total += UInt64(descriptor.length)
            guard total <= UInt64(UInt32.max) else { throw .chainTooLarge }
            buffers.append(VirtqueueBuffer(address: address, length: descriptor.length, writable: writable))

            guard descriptor.flags & DescriptorFlag.next != 0 else { break }
            guard UInt32(descriptor.next) < entries else { throw .nextOutOfRange(next: descriptor.next, tableSize: entries) }
            index = descriptor.next
        }
        return DescriptorChain(head: head, buffers: buffers)
    }

    /// `index` < `entries` of a table validated to lie in RAM, so the address cannot overflow.
    private func readDescriptor(table: GuestAddress, index: UInt16, inIndirect: Bool) throws(VirtqueueError) -> RawDescriptor {
        let address = GuestAddress(table.value + 16 * UInt64(index))
        do throws(GuestMemoryError) {
            return RawDescriptor(try memory.readBytes(address, count: 16))
        } catch {
            if inIndirect { throw .indirectOutsideMemory(address: table.value, length: 16 * (UInt32(index) + 1)) }
            throw .ringAccessFailed(.descriptorTable)
        }
    }
}
