import VMMDevices

/// Checks that no used entry the device wrote during a step claims more bytes than its chain can take.
///
/// Entries come from the device's recorded writes in addUsed's order: u32 head at used+4+8k, u32 length at the next
/// word, u16 index at used+2. The chain is walked afterwards in RAM, so an entry is skipped (not trusted either way)
/// when a device write during the step touched a descriptor on the walk, when two queues share that used ring with
/// different tables, or when the walk itself fails (the device returns such chains with length 0 anyway).
struct UsedLengthCheck {
    let writes: [RecordingMemory.Write]
    let ram: ByteGuestMemory
    private(set) var checked = 0
    private(set) var skipped = 0

    init(writes: [RecordingMemory.Write], ram: ByteGuestMemory) {
        self.writes = writes
        self.ram = ram
    }

    mutating func run(queues: [SplitVirtqueue?]) {
        var index = 0
        while index + 2 < writes.count {
            let (head, length, index2) = (writes[index], writes[index + 1], writes[index + 2])
            index += 1
            guard head.count == 4, length.count == 4, length.address == head.address &+ 4, index2.count == 2 else { continue }
            let owners = queues.indices.filter { queue in
                guard let ring = queues[queue]?.layout, ring.size > 0 else { return false }
                let slot = head.address &- (ring.usedRing.value &+ 4)
                return index2.address == ring.usedRing.value &+ 2 && slot % 8 == 0 && slot / 8 < UInt64(ring.size)
            }
            guard let owner = owners.first, length.value > 0 else { continue }
            guard let queue = queues[owner],
                  owners.allSatisfy({ queues[$0]?.layout.descriptorTable == queue.layout.descriptorTable }),
                  let writable = writableLength(head: UInt16(truncatingIfNeeded: head.value), of: queue) else {
                skipped += 1
                continue
            }
            checked += 1
            require(length.value <= writable, "queue \(owner): used length \(length.value) for head \(head.value), "
                    + "whose chain has \(writable) writable bytes")
        }
    }

    /// The sum of the WRITE descriptors' lengths of the chain at `head` (one indirect table followed), or nil when the
    /// walk leaves RAM, loops, or reads a descriptor the device wrote during this step.
    private func writableLength(head: UInt16, of queue: SplitVirtqueue) -> UInt64? {
        var table = queue.layout.descriptorTable.value
        var limit = UInt64(queue.size)
        var index = UInt64(head)
        var inIndirect = false
        var total: UInt64 = 0
        var hops: UInt64 = 0
        while index < limit, hops <= limit {
            let address = table &+ 16 &* index
            guard !writes.contains(where: { $0.overlaps(address, 16) }),
                  let bytes = try? ram.readBytes(GuestAddress(address), count: 16) else { return nil }
            func field(_ range: Range<Int>) -> UInt64 { range.reversed().reduce(0) { $0 << 8 | UInt64(bytes[$1]) } }
            let flags = field(12..<14)
            if flags & 4 != 0, !inIndirect, queue.indirectDescriptors {
                (table, limit, index, hops, inIndirect) = (field(0..<8), field(8..<12) / 16, 0, 0, true)
                continue
            }
            if flags & 2 != 0 { total += field(8..<12) }
            if flags & 1 == 0 { return total }
            index = field(14..<16)
            hops += 1
        }
        return nil
    }
}
