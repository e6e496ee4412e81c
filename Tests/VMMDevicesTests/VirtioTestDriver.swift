import VMMDevices

/// Counts interrupts instead of injecting them.
final class CountingInterrupt: InterruptLine, @unchecked Sendable {
    var count = 0
    func trigger() { count += 1 }
}

/// A raw descriptor as a test writes it (any values, valid or not).
struct TestDescriptor {
    var address: UInt64
    var length: UInt32
    var flags: UInt16 = 0
    var next: UInt16 = 0

    static let next: UInt16 = 1
    static let write: UInt16 = 2
    static let indirect: UInt16 = 4

    static func readable(_ address: UInt64, _ length: UInt32) -> TestDescriptor { .init(address: address, length: length) }
    static func writable(_ address: UInt64, _ length: UInt32) -> TestDescriptor {
        .init(address: address, length: length, flags: write)
    }
}

/// Plays the guest driver the way Linux's virtio_mmio and virtio_ring do, over 1 MiB of `ByteGuestMemory`:
/// queue q's descriptor table at 0x1000 + q·0x4000, avail ring +0x1000, used ring +0x2000; data from 0x40000.
final class VirtioTestDriver {
    static let ramSize: UInt64 = 0x10_0000
    static let dataStart: UInt64 = 0x4_0000

    let memory = ByteGuestMemory(size: ramSize)
    let irq = CountingInterrupt()
    let transport: VirtioMMIOTransport
    var queueSize: UInt16 = 16
    /// Per queue: min(queueSize, QueueNumMax), as Linux picks.
    var queueSizes: [UInt16] = []
    var availIndex: [UInt16] = []
    var usedSeen: [UInt16] = []
    var nextFree: [UInt16] = []
    private var nextData = dataStart

    init(device: any VirtioDevice) {
        transport = VirtioMMIOTransport(device: device, memory: memory, interruptLine: irq)
    }

    // MARK: registers

    func read32(_ offset: UInt64) -> UInt32 {
        var data = [UInt8](repeating: 0, count: 4)
        transport.read(offset: offset, data: &data)
        return data.reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    func write32(_ offset: UInt64, _ value: UInt32) {
        transport.write(offset: offset, data: (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) })
    }

    var status: UInt32 { read32(0x70) }

    func size(_ queue: Int) -> UInt16 { layout(queue: queue).size }

    func layout(queue: Int) -> VirtqueueLayout {
        let base = 0x1000 + UInt64(queue) * 0x4000
        let size = queue < queueSizes.count ? queueSizes[queue] : queueSize
        return VirtqueueLayout(size: size, descriptorTable: GuestAddress(base),
                               availRing: GuestAddress(base + 0x1000), usedRing: GuestAddress(base + 0x2000))
    }

    /// Linux's probe: check the header, reset, ACKNOWLEDGE, DRIVER, negotiate, FEATURES_OK (read back), set up
    /// each queue (QueueReady must read 0), DRIVER_OK. `accept` picks the driver's features from the offered ones;
    /// `layoutFor` may move rings anywhere. Returns false when FEATURES_OK did not stick.
    @discardableResult
    func probe(queueSize: UInt16 = 16, accept: (UInt64) -> UInt64 = { $0 },
               layoutFor: ((Int, VirtqueueLayout) -> VirtqueueLayout)? = nil) -> Bool {
        precondition(read32(0x000) == 0x7472_6976 && read32(0x004) == 2 && read32(0x008) != 0)
        self.queueSize = queueSize
        queueSizes = []
        write32(0x70, 0)
        write32(0x70, 1)
        write32(0x70, 3)
        write32(0x14, 1)
        var offered = UInt64(read32(0x10)) << 32
        write32(0x14, 0)
        offered |= UInt64(read32(0x10))
        let features = accept(offered)
        write32(0x24, 1)
        write32(0x20, UInt32(truncatingIfNeeded: features >> 32))
        write32(0x24, 0)
        write32(0x20, UInt32(truncatingIfNeeded: features))
        write32(0x70, 0xB)
        guard status & 8 != 0 else { return false }
        var queueCount = 0
        while true {
            write32(0x30, UInt32(queueCount))
            let max = UInt16(truncatingIfNeeded: read32(0x34))
            guard max != 0 else { break }
            precondition(read32(0x44) == 0)
            queueSizes.append(min(queueSize, max))
            var layout = layout(queue: queueCount)
            if let layoutFor { layout = layoutFor(queueCount, layout) }
            write32(0x38, UInt32(layout.size))
            write32(0x80, UInt32(truncatingIfNeeded: layout.descriptorTable.value))
            write32(0x84, UInt32(truncatingIfNeeded: layout.descriptorTable.value >> 32))
            write32(0x90, UInt32(truncatingIfNeeded: layout.availRing.value))
            write32(0x94, UInt32(truncatingIfNeeded: layout.availRing.value >> 32))
            write32(0xA0, UInt32(truncatingIfNeeded: layout.usedRing.value))
            write32(0xA4, UInt32(truncatingIfNeeded: layout.usedRing.value >> 32))
            write32(0x44, 1)
            queueCount += 1
        }
        availIndex = Array(repeating: 0, count: queueCount)
        usedSeen = Array(repeating: 0, count: queueCount)
        nextFree = Array(repeating: 0, count: queueCount)
        write32(0x70, 0xF)
        return true
    }

    // MARK: guest memory

    /// A fresh data buffer (16-byte aligned), optionally filled.
    func allocate(_ length: Int, fill: [UInt8] = []) -> UInt64 {
        let address = nextData
        nextData += UInt64((length + 15) / 16 * 16)
        precondition(nextData < Self.ramSize)
        if !fill.isEmpty { try? memory.writeBytes(GuestAddress(address), fill) }
        return address
    }

    func bytes(_ address: UInt64, _ count: Int) -> [UInt8] {
        (try? memory.readBytes(GuestAddress(address), count: count)) ?? []
    }

    func writeDescriptor(queue: Int = 0, table: UInt64? = nil, index: UInt16, _ descriptor: TestDescriptor) {
        let base = table ?? layout(queue: queue).descriptorTable.value
        let address = GuestAddress(base + 16 * UInt64(index))
        try? memory.writeInteger(address, descriptor.address)
        try? memory.writeInteger(GuestAddress(address.value + 8), descriptor.length)
        try? memory.writeInteger(GuestAddress(address.value + 12), descriptor.flags)
        try? memory.writeInteger(GuestAddress(address.value + 14), descriptor.next)
    }

    /// Writes `chain` into consecutive free descriptors linked with NEXT (flags/next given are kept if `link` is
    /// false) and returns the head index.
    func addChain(queue: Int = 0, _ chain: [TestDescriptor], link: Bool = true) -> UInt16 {
        let head = nextFree[queue]
        for (offset, var descriptor) in chain.enumerated() {
            let index = (head &+ UInt16(offset)) % size(queue)
            if link {
                let last = offset == chain.count - 1
                descriptor.flags = last ? descriptor.flags & ~TestDescriptor.next : descriptor.flags | TestDescriptor.next
                descriptor.next = last ? 0 : (index &+ 1) % size(queue)
            }
            writeDescriptor(queue: queue, index: index, descriptor)
        }
        nextFree[queue] = (head &+ UInt16(chain.count)) % size(queue)
        return head
    }

    /// Publishes `head` in the avail ring (entry, then idx).
    func pushAvail(queue: Int = 0, _ head: UInt16) {
        let avail = layout(queue: queue).availRing.value
        try? memory.writeInteger(GuestAddress(avail + 4 + 2 * UInt64(availIndex[queue] % size(queue))), head)
        availIndex[queue] &+= 1
        setAvailIndex(queue: queue, availIndex[queue])
    }

    func setAvailIndex(queue: Int = 0, _ value: UInt16) {
        try? memory.writeInteger(GuestAddress(layout(queue: queue).availRing.value + 2), value)
    }

    func kick(queue: Int = 0) {
        write32(0x50, UInt32(queue))
    }

    /// Posts a chain, kicks, and returns the used elements that appeared.
    func submit(queue: Int = 0, _ chain: [TestDescriptor]) -> [(id: UInt32, length: UInt32)] {
        pushAvail(queue: queue, addChain(queue: queue, chain))
        kick(queue: queue)
        return takeUsed(queue: queue)
    }

    func takeUsed(queue: Int = 0) -> [(id: UInt32, length: UInt32)] {
        let used = layout(queue: queue).usedRing.value
        let index: UInt16 = (try? memory.readInteger(GuestAddress(used + 2))) ?? 0
        var result: [(UInt32, UInt32)] = []
        while usedSeen[queue] != index {
            let slot = used + 4 + 8 * UInt64(usedSeen[queue] % size(queue))
            let id: UInt32 = (try? memory.readInteger(GuestAddress(slot))) ?? .max
            let length: UInt32 = (try? memory.readInteger(GuestAddress(slot + 4))) ?? .max
            result.append((id, length))
            usedSeen[queue] &+= 1
        }
        // Like virtqueue_enable_cb: with EVENT_IDX, ask for an interrupt at the next used entry.
        try? memory.writeInteger(GuestAddress(layout(queue: queue).availRing.value + 4 + 2 * UInt64(size(queue))), usedSeen[queue])
        return result
    }

    /// The interrupt handler: read InterruptStatus, write it to InterruptACK.
    func acknowledge() -> UInt32 {
        let bits = read32(0x60)
        write32(0x64, bits)
        return bits
    }
}
