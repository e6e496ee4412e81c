import Testing
import VMMDevices

/// The robustness cases of issue 5, each driven through the transport against virtio-blk: the defined outcome,
/// and that the device still serves the next valid request where the outcome allows it.
@Suite("Virtqueue robustness (virtio-blk)")
struct VirtqueueRobustnessTests {
    let disk = VirtioBlockTests.disk()
    let block: VirtioBlock
    let driver: VirtioTestDriver

    init() {
        block = VirtioBlock(backend: disk)
        driver = VirtioTestDriver(device: block)
        driver.probe(queueSize: 16)
    }

    /// Request failed: used element with length 0, status untouched, disk untouched, no NEEDS_RESET,
    /// and the next valid request works.
    func expectFailedThenRecovers(_ used: [(id: UInt32, length: UInt32)], status: UInt64? = nil,
                                  sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(used.count == 1 && used.first?.length == 0, sourceLocation: sourceLocation)
        if let status { #expect(driver.bytes(status, 1) == [0xFF], sourceLocation: sourceLocation) }
        #expect(driver.status == 0xF, sourceLocation: sourceLocation)
        #expect(disk.bytes == VirtioBlockTests.disk().bytes, sourceLocation: sourceLocation)
        let next = driver.blkRead(sector: 2)
        #expect(next.status == 0 && next.data.first == 2, sourceLocation: sourceLocation)
    }

    /// Device needs reset: status bit 0x40, config-change interrupt, kicks ignored; a reset and new probe recover.
    func expectNeedsResetThenRecovers(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(driver.status & 0x40 != 0, sourceLocation: sourceLocation)
        #expect(driver.read32(0x60) & 2 != 0, sourceLocation: sourceLocation)
        #expect(driver.irq.count >= 1, sourceLocation: sourceLocation)
        let refused = driver.transport.refusedWrites
        driver.kick()
        #expect(driver.transport.refusedWrites == refused + 1, sourceLocation: sourceLocation)
        driver.probe(queueSize: 16)
        #expect(driver.status == 0xF, sourceLocation: sourceLocation)
        #expect(driver.blkRead(sector: 4).data.first == 4, sourceLocation: sourceLocation)
    }

    @Test("zero-length descriptor: request failed")
    func zeroLength() {
        let status = driver.statusByte()
        let used = driver.submit([.readable(driver.header(VirtioTestDriver.blkIn), 16), .writable(driver.allocate(512), 0),
                                  .writable(status, 1)])
        expectFailedThenRecovers(used, status: status)
        #expect(block.stats.invalidChains == 1)
    }

    @Test("descriptor loop: request failed, no spinning")
    func loop() {
        let status = driver.statusByte()
        driver.writeDescriptor(index: 0, .init(address: driver.header(VirtioTestDriver.blkIn), length: 16, flags: 1, next: 1))
        driver.writeDescriptor(index: 1, .init(address: status, length: 1, flags: 3, next: 0))
        driver.nextFree[0] = 2
        driver.pushAvail(0)
        driver.kick()
        expectFailedThenRecovers(driver.takeUsed(), status: status)
    }

    @Test("chain longer than the queue (indirect table with more entries than the queue): request failed")
    func longerThanQueue() {
        let table = driver.allocate(17 * 16)
        for index in UInt16(0)..<17 {
            driver.writeDescriptor(table: table, index: index, .init(address: driver.header(0), length: 16, flags: 1, next: index + 1))
        }
        let used = driver.submit([.init(address: table, length: 17 * 16, flags: TestDescriptor.indirect)])
        expectFailedThenRecovers(used)
    }

    @Test("loop inside an indirect table: request failed")
    func indirectLoop() {
        let table = driver.allocate(32)
        driver.writeDescriptor(table: table, index: 0, .init(address: driver.header(0), length: 16, flags: 1, next: 1))
        driver.writeDescriptor(table: table, index: 1, .init(address: driver.statusByte(), length: 1, flags: 3, next: 0))
        expectFailedThenRecovers(driver.submit([.init(address: table, length: 32, flags: TestDescriptor.indirect)]))
    }

    @Test("indirect tables out of bounds, misshapen or nested: request failed")
    func indirectBounds() {
        let valid = driver.allocate(48)
        let nested = driver.allocate(16)
        driver.writeDescriptor(table: nested, index: 0, .init(address: valid, length: 48, flags: TestDescriptor.indirect))
        let heads: [TestDescriptor] = [
            .init(address: VirtioTestDriver.ramSize, length: 48, flags: TestDescriptor.indirect),
            .init(address: VirtioTestDriver.ramSize - 32, length: 48, flags: TestDescriptor.indirect),
            .init(address: UInt64.max - 31, length: 48, flags: TestDescriptor.indirect),
            .init(address: valid, length: 40, flags: TestDescriptor.indirect),
            .init(address: valid, length: 0, flags: TestDescriptor.indirect),
            .init(address: nested, length: 16, flags: TestDescriptor.indirect),
        ]
        for head in heads {
            let before = block.stats.invalidChains
            let used = driver.submit([head])
            #expect(used.count == 1 && used.first?.length == 0)
            #expect(block.stats.invalidChains == before + 1)
        }
        expectFailedThenRecovers([(0, 0)])
    }

    @Test("buffers outside guest RAM, crossing its end, or overflowing: request failed")
    func outsideMemory() {
        let buffers: [UInt64] = [VirtioTestDriver.ramSize, VirtioTestDriver.ramSize - 256, UInt64.max - 255, UInt64.max]
        for address in buffers {
            let status = driver.statusByte()
            let used = driver.submit([.readable(driver.header(VirtioTestDriver.blkIn), 16), .writable(address, 512),
                                      .writable(status, 1)])
            expectFailedThenRecovers(used, status: status)
        }
        // A header outside RAM, and a status byte outside RAM.
        expectFailedThenRecovers(driver.submit([.readable(UInt64.max - 7, 16), .writable(driver.statusByte(), 1)]))
        expectFailedThenRecovers(driver.submit([.readable(driver.header(4), 16), .writable(0xFFFF_FFFF_0000, 1)]))
    }

    @Test("next index outside the descriptor table: request failed")
    func nextOutOfRange() {
        let status = driver.statusByte()
        driver.writeDescriptor(index: 0, .init(address: driver.header(4), length: 16, flags: 1, next: 16))
        driver.nextFree[0] = 1
        driver.pushAvail(0)
        driver.kick()
        expectFailedThenRecovers(driver.takeUsed(), status: status)
    }

    @Test("avail index jumping by more than the queue size: device needs reset")
    func availJump() {
        _ = driver.blkRead(sector: 1)
        driver.setAvailIndex(driver.availIndex[0] &+ 17)
        driver.kick()
        #expect(driver.takeUsed().isEmpty)
        #expect(block.isBroken)
        #expect(driver.transport.interrupt.resetReason?.contains("availIndexJump") == true)
        expectNeedsResetThenRecovers()
    }

    @Test("head index outside the queue: device needs reset")
    func headOutOfRange() {
        driver.pushAvail(16)
        driver.kick()
        expectNeedsResetThenRecovers()
    }

    @Test("misaligned rings, rings outside RAM and bad sizes: device needs reset at DRIVER_OK")
    func misaligned() {
        let changes: [(inout VirtqueueLayout) -> Void] = [
            { $0.descriptorTable = GuestAddress($0.descriptorTable.value + 8) },
            { $0.availRing = GuestAddress($0.availRing.value + 1) },
            { $0.usedRing = GuestAddress($0.usedRing.value + 2) },
            { $0.usedRing = GuestAddress(VirtioTestDriver.ramSize - 4) },
            { $0.descriptorTable = GuestAddress(0xFFFF_FFFF_FFFF_FFF0) },
            { $0.size = 12 },
            { $0.size = 512 },
            { $0.size = 0 },
        ]
        for change in changes {
            driver.probe(queueSize: 16, layoutFor: { _, layout in
                var bad = layout
                change(&bad)
                return bad
            })
            #expect(!driver.transport.isActivated)
            expectNeedsResetThenRecovers()
        }
    }

    @Test("status byte in a read-only descriptor: request failed without touching the disk")
    func statusReadOnly() {
        let write = driver.allocate(512, fill: [UInt8](repeating: 0xAB, count: 512))
        let status = driver.statusByte()
        let used = driver.submit([.readable(driver.header(VirtioTestDriver.blkOut, sector: 1), 16), .readable(write, 512),
                                  .readable(status, 1)])
        expectFailedThenRecovers(used, status: status)
        #expect(block.stats.failedRequests == 1)
        // The same for a read: nothing is read into the data buffer.
        let data = driver.allocate(512)
        let readStatus = driver.statusByte()
        let readUsed = driver.submit([.readable(driver.header(VirtioTestDriver.blkIn, sector: 3), 16),
                                      .writable(data, 512), .init(address: readStatus, length: 1)])
        #expect(readUsed.first?.length == 0 && driver.bytes(data, 1) == [0])
    }

    @Test("a readable descriptor after a writable one: request failed")
    func ordering() {
        let status = driver.statusByte()
        let used = driver.submit([.readable(driver.header(VirtioTestDriver.blkIn), 16), .writable(status, 1),
                                  .readable(driver.allocate(16), 16)])
        expectFailedThenRecovers(used, status: status)
    }

    @Test("a full ring of bad chains is all returned, then valid requests go on")
    func fullRingOfBadChains() {
        for _ in 0..<16 {
            driver.pushAvail(driver.addChain([.readable(0, 0)]))
        }
        driver.kick()
        #expect(driver.takeUsed().map(\.length) == [UInt32](repeating: 0, count: 16))
        expectFailedThenRecovers([(0, 0)])
    }
}
