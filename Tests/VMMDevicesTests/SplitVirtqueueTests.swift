import Testing
import VMMDevices

@Suite("Split virtqueue")
struct SplitVirtqueueTests {
    let memory = ByteGuestMemory(size: 0x10_0000)
    let layout = VirtqueueLayout(size: 8, descriptorTable: GuestAddress(0x1000), availRing: GuestAddress(0x2000),
                                 usedRing: GuestAddress(0x3000))

    func queue(_ layout: VirtqueueLayout? = nil, eventIndex: Bool = false, indirect: Bool = false) throws -> SplitVirtqueue {
        try SplitVirtqueue(layout: layout ?? self.layout, maxSize: 256, memory: memory, eventIndex: eventIndex,
                           indirectDescriptors: indirect)
    }

    func descriptor(_ index: UInt16, _ d: TestDescriptor, table: UInt64 = 0x1000) throws {
        let address = table + 16 * UInt64(index)
        try memory.writeInteger(GuestAddress(address), d.address)
        try memory.writeInteger(GuestAddress(address + 8), d.length)
        try memory.writeInteger(GuestAddress(address + 12), d.flags)
        try memory.writeInteger(GuestAddress(address + 14), d.next)
    }

    func publish(_ heads: [UInt16], from start: UInt16 = 0) throws {
        for (offset, head) in heads.enumerated() {
            try memory.writeInteger(GuestAddress(0x2004 + 2 * UInt64((start &+ UInt16(offset)) % 8)), head)
        }
        try memory.writeInteger(GuestAddress(0x2002), start &+ UInt16(heads.count))
    }

    func changed(_ change: (inout VirtqueueLayout) -> Void) -> VirtqueueLayout {
        var copy = layout
        change(&copy)
        return copy
    }

    @Test("sizes must be a power of two in 1...max")
    func sizes() throws {
        for size: UInt16 in [0, 3, 6, 512, 0x8001] {
            #expect(throws: VirtqueueError.invalidSize(size: size, max: 256)) { try queue(changed { $0.size = size }) }
        }
        for size: UInt16 in [1, 2, 128, 256] { _ = try queue(changed { $0.size = size }) }
    }

    @Test("misaligned rings are refused (desc 16, avail 2, used 4)")
    func misaligned() throws {
        #expect(throws: VirtqueueError.misaligned(.descriptorTable, address: 0x1008)) {
            try queue(changed { $0.descriptorTable = GuestAddress(0x1008) })
        }
        #expect(throws: VirtqueueError.misaligned(.availRing, address: 0x2001)) {
            try queue(changed { $0.availRing = GuestAddress(0x2001) })
        }
        #expect(throws: VirtqueueError.misaligned(.usedRing, address: 0x3002)) {
            try queue(changed { $0.usedRing = GuestAddress(0x3002) })
        }
        _ = try queue(changed { $0.availRing = GuestAddress(0x2002); $0.usedRing = GuestAddress(0x3004) })
    }

    @Test("rings outside RAM, crossing its end or overflowing are refused")
    func ringsOutsideMemory() throws {
        #expect(throws: VirtqueueError.ringOutsideMemory(.descriptorTable, address: 0x20_0000, length: 128)) {
            try queue(changed { $0.descriptorTable = GuestAddress(0x20_0000) })
        }
        #expect(throws: VirtqueueError.ringOutsideMemory(.usedRing, address: 0xF_FFF0, length: 68)) {
            try queue(changed { $0.usedRing = GuestAddress(0xF_FFF0) })
        }
        #expect(throws: VirtqueueError.ringOutsideMemory(.availRing, address: UInt64.max - 1, length: 20)) {
            try queue(changed { $0.availRing = GuestAddress(UInt64.max - 1) })
        }
        // With EVENT_IDX the rings carry one more u16 each.
        #expect(throws: VirtqueueError.ringOutsideMemory(.availRing, address: 0xF_FFEC, length: 22)) {
            try queue(changed { $0.availRing = GuestAddress(0xF_FFEC) }, eventIndex: true)
        }
        _ = try queue(changed { $0.availRing = GuestAddress(0xF_FFEC) })
    }

    @Test("pop walks a chain, addUsed publishes the element then the index")
    func popAndUse() throws {
        let q = try queue()
        #expect(try q.pop() == .empty)
        try descriptor(2, .init(address: 0x8000, length: 16, flags: 1, next: 5))
        try descriptor(5, .init(address: 0x9000, length: 512, flags: 2))
        try publish([2])
        guard case .chain(let chain) = try q.pop() else { Issue.record("no chain"); return }
        #expect(chain.head == 2)
        #expect(chain.buffers == [VirtqueueBuffer(address: GuestAddress(0x8000), length: 16, writable: false),
                                  VirtqueueBuffer(address: GuestAddress(0x9000), length: 512, writable: true)])
        #expect(chain.readableLength == 16 && chain.writableLength == 512)
        #expect(try q.pop() == .empty)
        try q.addUsed(head: 2, length: 512)
        #expect(try memory.readInteger(GuestAddress(0x3002), as: UInt16.self) == 1)
        #expect(try memory.readInteger(GuestAddress(0x3004), as: UInt32.self) == 2)
        #expect(try memory.readInteger(GuestAddress(0x3008), as: UInt32.self) == 512)
    }

    @Test("the avail and used indices wrap at 2^16")
    func wrap() throws {
        let q = try queue()
        try descriptor(0, .readable(0x8000, 1))
        for round in 0..<(70_000 / 8) {
            let start = UInt16(truncatingIfNeeded: round * 8)
            try publish(Array(repeating: 0, count: 8), from: start)
            for _ in 0..<8 {
                guard case .chain = try q.pop() else { Issue.record("round \(round)"); return }
                try q.addUsed(head: 0, length: 0)
            }
            #expect(try q.pop() == .empty)
        }
        #expect(q.nextAvail == UInt16(truncatingIfNeeded: 70_000 / 8 * 8))
    }

    @Test("avail.idx more than the queue size ahead of the device needs a reset; exactly the size is fine")
    func availJump() throws {
        let q = try queue()
        try descriptor(0, .readable(0x8000, 1))
        try memory.writeInteger(GuestAddress(0x2002), UInt16(8))
        guard case .chain = try q.pop() else { Issue.record("a full ring is valid"); return }
        try memory.writeInteger(GuestAddress(0x2002), UInt16(10))  // 9 ahead of nextAvail 1
        #expect(throws: VirtqueueError.availIndexJump(availIndex: 10, nextAvail: 1, size: 8)) { try q.pop() }
        try memory.writeInteger(GuestAddress(0x2002), UInt16(0))  // "behind": 65535 ahead
        #expect(throws: VirtqueueError.self) { try q.pop() }
    }

    @Test("a head index outside the table needs a reset")
    func headOutOfRange() throws {
        let q = try queue()
        try publish([8])
        #expect(throws: VirtqueueError.headOutOfRange(head: 8, size: 8)) { try q.pop() }
    }

    @Test("every bad chain is consumed and reported, and the next chain still pops")
    func badChains() throws {
        let cases: [(String, [(UInt16, TestDescriptor)], VirtqueueError)] = [
            ("zero length", [(0, .readable(0x8000, 0))], .zeroLength(index: 0)),
            ("self loop", [(0, .init(address: 0x8000, length: 1, flags: 1, next: 0))], .chainTooLong(limit: 8)),
            ("two-step loop", [(0, .init(address: 0x8000, length: 1, flags: 1, next: 1)),
                               (1, .init(address: 0x8000, length: 1, flags: 1, next: 0))], .chainTooLong(limit: 8)),
            ("next out of range", [(0, .init(address: 0x8000, length: 1, flags: 1, next: 8))],
             .nextOutOfRange(next: 8, tableSize: 8)),
            ("outside RAM", [(0, .readable(0x10_0000, 1))], .bufferOutsideMemory(address: 0x10_0000, length: 1)),
            ("crossing the end of RAM", [(0, .readable(0xF_FFFF, 2))], .bufferOutsideMemory(address: 0xF_FFFF, length: 2)),
            ("overflowing", [(0, .readable(UInt64.max - 3, 8))], .bufferOutsideMemory(address: UInt64.max - 3, length: 8)),
            ("readable after writable", [(0, .init(address: 0x8000, length: 1, flags: 3, next: 1)),
                                         (1, .readable(0x8000, 1))], .readableAfterWritable(index: 1)),
            ("indirect not negotiated", [(0, .init(address: 0x9000, length: 16, flags: 4))], .indirectNotNegotiated),
        ]
        for (name, descriptors, expected) in cases {
            let q = try queue()
            for (index, d) in descriptors { try descriptor(index, d) }
            try descriptor(7, .readable(0x8000, 4))
            try publish([0, 7])
            #expect(try q.pop() == .failed(head: 0, expected), "\(name)")
            #expect(try q.pop() == .chain(DescriptorChain(head: 7, buffers: [.init(address: GuestAddress(0x8000), length: 4, writable: false)])),
                    "\(name): the next chain")
        }
    }

    @Test("a buffer crossing from one RAM region into the next is refused; rings at the top of the address space work")
    func regions() throws {
        let top: UInt64 = 0xFFFF_FFFF_FFFF_E000
        let split = ByteGuestMemory(regions: [GuestMemoryRegion(start: GuestAddress(0), size: 0x2000),
                                              GuestMemoryRegion(start: GuestAddress(0x2000), size: 0x2000),
                                              GuestMemoryRegion(start: GuestAddress(top), size: 0x1000)])
        let layout = VirtqueueLayout(size: 8, descriptorTable: GuestAddress(top), availRing: GuestAddress(top + 0x800),
                                     usedRing: GuestAddress(top + 0xA00))
        let q = try SplitVirtqueue(layout: layout, maxSize: 256, memory: split, eventIndex: true)
        for (index, address) in [(0, UInt64(0x1F00)), (1, 0x2000), (2, top + 0xF00)] {
            try split.writeInteger(GuestAddress(top + 16 * UInt64(index)), address)
            try split.writeInteger(GuestAddress(top + 16 * UInt64(index) + 8), UInt32(0x200))
        }
        try split.writeInteger(GuestAddress(top + 0x804), UInt32(0x0002_0001))  // heads 1, 2
        try split.writeInteger(GuestAddress(top + 0x808), UInt16(0))  // third head: 0
        try split.writeInteger(GuestAddress(top + 0x802), UInt16(3))
        #expect(try q.pop() == .chain(DescriptorChain(head: 1, buffers: [.init(address: GuestAddress(0x2000), length: 0x200, writable: false)])))
        #expect(try q.pop() == .failed(head: 2, .bufferOutsideMemory(address: top + 0xF00, length: 0x200)))  // past 2^64 - 0x1000
        #expect(try q.pop() == .failed(head: 0, .bufferOutsideMemory(address: 0x1F00, length: 0x200)))  // crosses 0x2000
        for head: UInt16 in [1, 2, 0] { try q.addUsed(head: head, length: 0) }
        #expect(try split.readInteger(GuestAddress(top + 0xA02), as: UInt16.self) == 3)
        #expect(try q.needsNotification())
        #expect(try !q.enableNotification())
        #expect(try split.readInteger(GuestAddress(top + 0xA04 + 64), as: UInt16.self) == 3)  // avail_event
    }

    @Test("a chain adding up to 4 GiB or more is refused")
    func tooLarge() throws {
        // Two 2 GiB buffers in a 4 GiB region that is never allocated.
        let huge = HugeMemory()
        let q = try SplitVirtqueue(layout: layout, maxSize: 256, memory: huge)
        try huge.backing.writeInteger(GuestAddress(0x1000), UInt64(0x1_0000_0000))
        try huge.backing.writeInteger(GuestAddress(0x1008), UInt32(0x8000_0000))
        try huge.backing.writeInteger(GuestAddress(0x100C), UInt16(1))
        try huge.backing.writeInteger(GuestAddress(0x100E), UInt16(1))
        try huge.backing.writeInteger(GuestAddress(0x1010), UInt64(0x1_0000_0000))
        try huge.backing.writeInteger(GuestAddress(0x1018), UInt32(0x8000_0000))
        try huge.backing.writeInteger(GuestAddress(0x2002), UInt16(1))
        #expect(try q.pop() == .failed(head: 0, .chainTooLarge))
    }

    @Test("indirect tables: flattened when valid; bounds, length, nesting and NEXT checked")
    func indirect() throws {
        let table: UInt64 = 0x9000
        try descriptor(0, .init(address: 0x8000, length: 16, flags: 1, next: 1), table: table)
        try descriptor(1, .init(address: 0x8100, length: 1, flags: 2), table: table)
        let cases: [(String, TestDescriptor, VirtqueueError?)] = [
            ("valid", .init(address: table, length: 32, flags: 4), nil),
            ("WRITE on the indirect descriptor is ignored", .init(address: table, length: 32, flags: 6), nil),
            ("outside RAM", .init(address: 0x10_0000, length: 32, flags: 4), .indirectOutsideMemory(address: 0x10_0000, length: 32)),
            ("crossing the end", .init(address: 0xF_FFF0, length: 32, flags: 4), .indirectOutsideMemory(address: 0xF_FFF0, length: 32)),
            ("overflowing", .init(address: UInt64.max - 15, length: 32, flags: 4),
             .indirectOutsideMemory(address: UInt64.max - 15, length: 32)),
            ("length not a multiple of 16", .init(address: table, length: 24, flags: 4), .indirectBadLength(24)),
            ("empty", .init(address: table, length: 0, flags: 4), .indirectBadLength(0)),
            ("more entries than the queue", .init(address: table, length: 16 * 9, flags: 4), .indirectBadLength(144)),
            ("with NEXT", .init(address: table, length: 32, flags: 5, next: 1), .indirectWithNext),
        ]
        for (name, head, expected) in cases {
            let q = try queue(indirect: true)
            try descriptor(0, head)
            try publish([0])
            if let expected {
                #expect(try q.pop() == .failed(head: 0, expected), "\(name)")
            } else {
                #expect(try q.pop() == .chain(DescriptorChain(head: 0, buffers: [
                    .init(address: GuestAddress(0x8000), length: 16, writable: false),
                    .init(address: GuestAddress(0x8100), length: 1, writable: true),
                ])), "\(name)")
            }
        }
    }

    @Test("inside an indirect table: nested indirect, loops and next out of the table fail the chain")
    func indirectInside() throws {
        let table: UInt64 = 0x9000
        let cases: [(String, TestDescriptor, VirtqueueError)] = [
            ("nested", .init(address: table, length: 32, flags: 4), .nestedIndirect),
            ("loop", .init(address: 0x8000, length: 1, flags: 1, next: 0), .chainTooLong(limit: 2)),
            ("next beyond the table", .init(address: 0x8000, length: 1, flags: 1, next: 2), .nextOutOfRange(next: 2, tableSize: 2)),
            ("zero length", .init(address: 0x8000, length: 0), .zeroLength(index: 0)),
        ]
        for (name, entry, expected) in cases {
            let q = try queue(indirect: true)
            try descriptor(0, entry, table: table)
            try descriptor(1, .readable(0x8000, 1), table: table)
            try descriptor(0, .init(address: table, length: 32, flags: 4))
            try publish([0])
            #expect(try q.pop() == .failed(head: 0, expected), "\(name)")
        }
    }

    @Test("EVENT_IDX: vring_need_event, including wrap-around")
    func needEvent() {
        // Notify iff used_event lies in [old, new).
        #expect(SplitVirtqueue.needEvent(event: 0, new: 1, old: 0))
        #expect(!SplitVirtqueue.needEvent(event: 1, new: 1, old: 0))
        #expect(SplitVirtqueue.needEvent(event: 4, new: 6, old: 2))
        #expect(!SplitVirtqueue.needEvent(event: 6, new: 6, old: 2))
        #expect(!SplitVirtqueue.needEvent(event: 1, new: 6, old: 2))
        #expect(SplitVirtqueue.needEvent(event: 0xFFFF, new: 1, old: 0xFFFE))
        #expect(SplitVirtqueue.needEvent(event: 0, new: 1, old: 0xFFFE))
        #expect(!SplitVirtqueue.needEvent(event: 1, new: 1, old: 0xFFFE))
    }

    @Test("EVENT_IDX: interrupts follow used_event; avail_event re-arms kicks and reports late buffers")
    func eventIndex() throws {
        let q = try queue(eventIndex: true)
        try descriptor(0, .readable(0x8000, 1))
        try publish([0, 0, 0])
        for _ in 0..<3 {
            _ = try q.pop()
            try q.addUsed(head: 0, length: 0)
        }
        #expect(try q.needsNotification())  // first decision always notifies
        #expect(try !q.needsNotification())  // nothing new
        try memory.writeInteger(GuestAddress(0x2004 + 16), UInt16(5))  // used_event = 5
        try publish([0, 0], from: 3)
        _ = try q.pop()
        try q.addUsed(head: 0, length: 0)  // used 4: event 5 not reached
        #expect(try !q.needsNotification())
        _ = try q.pop()
        try q.addUsed(head: 0, length: 0)  // used idx 5: entry 5 (the one used_event names) not used yet
        #expect(try !q.needsNotification())
        try publish([0], from: 5)
        _ = try q.pop()
        try q.addUsed(head: 0, length: 0)  // used idx 6 crosses used_event 5
        #expect(try q.needsNotification())
        #expect(try !q.enableNotification())
        #expect(try memory.readInteger(GuestAddress(0x3004 + 64), as: UInt16.self) == 6)  // avail_event
        try publish([0], from: 6)
        #expect(try q.enableNotification())  // a buffer arrived: process instead of waiting
    }

    @Test("without EVENT_IDX: NO_INTERRUPT in avail.flags suppresses interrupts")
    func noInterrupt() throws {
        let q = try queue()
        #expect(try q.needsNotification())
        try memory.writeInteger(GuestAddress(0x2000), UInt16(1))
        #expect(try !q.needsNotification())
        #expect(try !q.enableNotification())
    }
}

/// 16 KiB of RAM at 0 plus 4 GiB at 4 GiB that reads as zeros without being allocated.
final class HugeMemory: GuestMemory, @unchecked Sendable {
    let backing = ByteGuestMemory(size: 0x4000)
    var regions: [GuestMemoryRegion] {
        [GuestMemoryRegion(start: GuestAddress(0), size: 0x4000), GuestMemoryRegion(start: GuestAddress(0x1_0000_0000), size: 0x1_0000_0000)]
    }
    func read(_ address: GuestAddress, into buffer: UnsafeMutableRawBufferPointer) throws(GuestMemoryError) {
        if address.value >= 0x1_0000_0000 {
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            return
        }
        try backing.read(address, into: buffer)
    }
    func write(_ address: GuestAddress, from buffer: UnsafeRawBufferPointer) throws(GuestMemoryError) {
        if address.value >= 0x1_0000_0000 { return }
        try backing.write(address, from: buffer)
    }
}
