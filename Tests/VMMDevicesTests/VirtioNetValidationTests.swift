import Testing
import VMMDevices

/// Guest input virtio-net must survive: malformed headers, wrong sizes, misshapen chains on both queues, and
/// queue errors that need a reset. Each case checks the defined outcome and that the queue then still works.
@Suite("virtio-net validation")
struct VirtioNetValidationTests {
    let output = NetFrameBuffer()
    let net: VirtioNet
    let driver: VirtioTestDriver

    init() {
        net = VirtioNet(mac: MACAddress(NetTest.mac)!, output: output)
        driver = VirtioTestDriver(device: net)
        driver.probe()
    }

    /// Dropped: used length 0, nothing sent, counted once under `reason`, no NEEDS_RESET; the next frame goes out.
    func expectDropped(_ used: [(id: UInt32, length: UInt32)], _ reason: VirtioNetDrop,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(used.count == 1 && used.first?.length == 0, sourceLocation: sourceLocation)
        #expect(output.frames.isEmpty, sourceLocation: sourceLocation)
        #expect(net.stats.dropped(reason) == 1, "\(net.stats.drops)", sourceLocation: sourceLocation)
        #expect(net.stats.totalDropped == 1, "\(net.stats.drops)", sourceLocation: sourceLocation)
        expectTransmitWorks(sourceLocation: sourceLocation)
    }

    func expectTransmitWorks(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(driver.status == 0xF, sourceLocation: sourceLocation)
        let frame = NetTest.frame(length: 64, seed: 0x77)
        #expect(driver.netSend(frame).map(\.length) == [0], sourceLocation: sourceLocation)
        #expect(output.frames.last == frame, sourceLocation: sourceLocation)
    }

    // MARK: transmit

    @Test("a chain shorter than the 12-byte header")
    func shortHeader() {
        let used = driver.submit(queue: NetTest.tx, [.readable(driver.allocate(11, fill: [UInt8](repeating: 0, count: 11)), 11)])
        expectDropped(used, .txHeaderTooShort)
    }

    @Test("NEEDS_CSUM without the checksum feature")
    func needsChecksum() {
        expectDropped(driver.netSend(NetTest.frame(length: 60), header: NetTest.header(flags: 1)), .txUnsupportedFlags)
    }

    @Test("other header flags (DATA_VALID, RSC_INFO, unknown) are refused on transmit too")
    func otherFlags() {
        for flags: UInt8 in [2, 4, 0x80] {
            _ = driver.netSend(NetTest.frame(length: 60), header: NetTest.header(flags: flags))
        }
        #expect(net.stats.dropped(.txUnsupportedFlags) == 3 && output.frames.isEmpty)
        expectTransmitWorks()
    }

    @Test("segmentation offload (TCPv4, UDP, TCPv6, ECN) without the GSO features")
    func gso() {
        for type: UInt8 in [1, 3, 4, 0x80] {
            _ = driver.netSend(NetTest.frame(length: 60), header: NetTest.header(gsoType: type))
        }
        #expect(net.stats.dropped(.txUnsupportedGSO) == 4 && output.frames.isEmpty)
        expectTransmitWorks()
    }

    @Test("fields that mean nothing without offloads are ignored (hdr_len, gso_size, csum_*, num_buffers)")
    func ignoredFields() {
        let header: [UInt8] = [0, 0, 0x36, 0, 0xB4, 0x05, 0x22, 0, 0x10, 0, 0x07, 0]
        let frame = NetTest.frame(length: 80)
        _ = driver.netSend(frame, header: header)
        #expect(output.frames == [frame])
    }

    @Test("a frame shorter than an Ethernet header (13 bytes, and the header alone)")
    func undersize() {
        expectDropped(driver.netSend(NetTest.frame(length: 13)), .txUndersize)
        let headerOnly = NetTest.header()
        _ = driver.submit(queue: NetTest.tx, [.readable(driver.allocate(12, fill: headerOnly), 12)])
        #expect(net.stats.dropped(.txUndersize) == 2)
    }

    @Test("a frame longer than 1518 bytes, in one buffer or spread over several")
    func oversize() {
        expectDropped(driver.netSend(NetTest.frame(length: VirtioNet.maxFrame + 1)), .txOversize)
        let header = driver.allocate(12, fill: NetTest.header())
        let chain: [TestDescriptor] = [.readable(header, 12)] + (0..<20).map { _ in .readable(driver.allocate(4096), 4096) }
        #expect(driver.submit(queue: NetTest.tx, chain).map(\.length) == [0])
        #expect(net.stats.dropped(.txOversize) == 2)
    }

    @Test("writable buffers in a transmit chain: after the frame, or the whole chain")
    func writableInTransmit() {
        let bytes = NetTest.header() + NetTest.frame(length: 60)
        let used = driver.submit(queue: NetTest.tx, [.readable(driver.allocate(bytes.count, fill: bytes), UInt32(bytes.count)),
                                                     .writable(driver.allocate(16), 16)])
        expectDropped(used, .txWritableBuffers)
        _ = driver.submit(queue: NetTest.tx, [.writable(driver.allocate(bytes.count, fill: bytes), UInt32(bytes.count))])
        #expect(net.stats.dropped(.txWritableBuffers) == 2)
    }

    @Test("zero-length descriptors and descriptors outside RAM: the chain fails alone")
    func emptyDescriptors() {
        let bytes = NetTest.header() + NetTest.frame(length: 60)
        let data = driver.allocate(bytes.count, fill: bytes)
        let chains: [[TestDescriptor]] = [
            [.readable(data, 0)],
            [.readable(data, 12), .readable(data + 12, 0), .readable(data + 12, 60)],
            [.readable(VirtioTestDriver.ramSize - 8, 72)],
            [.readable(UInt64.max - 3, 72)],
        ]
        for chain in chains {
            #expect(driver.submit(queue: NetTest.tx, chain).map(\.length) == [0])
        }
        #expect(net.stats.invalidChains == 4 && net.stats.totalDropped == 0 && output.frames.isEmpty)
        expectTransmitWorks()
    }

    @Test("backend busy or gone: the frame is dropped and counted, the queue goes on")
    func backendRefuses() {
        output.next = .busy
        _ = driver.netSend(NetTest.frame(length: 60))
        output.next = .down
        _ = driver.netSend(NetTest.frame(length: 60))
        output.next = .sent
        #expect(net.stats.dropped(.txBackendBusy) == 1 && net.stats.dropped(.txBackendDown) == 1)
        #expect(net.stats.framesOut == 0)
        expectTransmitWorks()
    }

    // MARK: receive

    @Test("host frames too short or too long are dropped before they queue")
    func receiveSizes() {
        driver.netPostReceive(2)
        #expect(!net.receive(NetTest.frame(length: 13)))
        #expect(!net.receive(NetTest.frame(length: VirtioNet.maxFrame + 1)))
        #expect(!net.receive([]))
        #expect(net.stats.dropped(.rxUndersize) == 2 && net.stats.dropped(.rxOversize) == 1)
        #expect(driver.takeUsed(queue: NetTest.rx).isEmpty && net.pendingFrames == 0)
        #expect(net.receive(NetTest.frame(length: 14)))
        #expect(driver.takeUsed(queue: NetTest.rx).map(\.length) == [26])
    }

    @Test("a receive chain too small for header + frame: the frame is dropped, the chain returned empty")
    func receiveBufferTooSmall() {
        let small = driver.netPostReceive(1, length: 71)  // one byte short for a 60-byte frame
        let big = driver.netPostReceive(1)
        let first = NetTest.frame(length: 60, seed: 1)
        let second = NetTest.frame(length: 60, seed: 2)
        net.receive([first, second])
        #expect(driver.takeUsed(queue: NetTest.rx).map(\.length) == [0, 72])
        #expect(driver.bytes(small[0], 71) == [UInt8](repeating: 0, count: 71))
        #expect(driver.bytes(big[0], 72) == NetTest.receivedHeader + second)
        #expect(net.stats.dropped(.rxBufferTooSmall) == 1 && net.stats.framesIn == 1)
    }

    @Test("readable buffers in a receive chain: invalid chain, returned empty; the frame waits for the next chain")
    func readableInReceive() {
        let readOnly = driver.allocate(16, fill: [UInt8](repeating: 0xAA, count: 16))
        let target = driver.allocate(1530)
        driver.pushAvail(queue: NetTest.rx, driver.addChain(queue: NetTest.rx, [.readable(readOnly, 16), .writable(target, 1530)]))
        driver.pushAvail(queue: NetTest.rx, driver.addChain(queue: NetTest.rx, [.readable(readOnly, 16)]))
        driver.kick(queue: NetTest.rx)
        let frame = NetTest.frame(length: 60)
        net.receive(frame)
        #expect(driver.takeUsed(queue: NetTest.rx).map(\.length) == [0, 0])
        #expect(net.stats.invalidChains == 2 && net.pendingFrames == 1)
        #expect(driver.bytes(readOnly, 16) == [UInt8](repeating: 0xAA, count: 16))
        #expect(driver.bytes(target, 12) == [UInt8](repeating: 0, count: 12))
        let good = driver.netPostReceive(1)
        #expect(driver.takeUsed(queue: NetTest.rx).map(\.length) == [72])
        #expect(driver.bytes(good[0], 72) == NetTest.receivedHeader + frame)
    }

    @Test("zero-length and out-of-RAM receive descriptors: invalid chains; the frame is kept")
    func emptyReceiveDescriptors() {
        let data = driver.allocate(1530)
        for chain: [TestDescriptor] in [[.writable(data, 0)], [.writable(data, 20), .writable(data + 20, 0)],
                                         [.writable(VirtioTestDriver.ramSize - 100, 1530)]] {
            driver.pushAvail(queue: NetTest.rx, driver.addChain(queue: NetTest.rx, chain))
        }
        driver.kick(queue: NetTest.rx)
        net.receive(NetTest.frame(length: 60))
        #expect(driver.takeUsed(queue: NetTest.rx).map(\.length) == [0, 0, 0])
        #expect(net.stats.invalidChains == 3 && net.pendingFrames == 1)
    }

    // MARK: NEEDS_RESET

    @Test("transmit avail index jump: NEEDS_RESET, kicks refused, frames dropped as not ready; a new probe recovers")
    func transmitNeedsReset() {
        driver.setAvailIndex(queue: NetTest.tx, 100)
        driver.kick(queue: NetTest.tx)
        #expect(net.isBroken)
        #expect(driver.status & 0x40 != 0)
        #expect(driver.read32(0x60) & 2 != 0)
        #expect(driver.transport.interrupt.resetReason?.contains("availIndexJump") == true)
        let refused = driver.transport.refusedWrites
        driver.kick(queue: NetTest.rx)
        #expect(driver.transport.refusedWrites == refused + 1)
        #expect(!net.receive(NetTest.frame(length: 60)))
        #expect(net.stats.dropped(.rxNotReady) == 1)
        driver.probe()
        expectTransmitWorks()
    }

    @Test("receive head index out of range, found while delivering a host frame: NEEDS_RESET, no crash")
    func receiveNeedsReset() {
        driver.pushAvail(queue: NetTest.rx, 200)
        net.receive(NetTest.frame(length: 60))
        #expect(net.isBroken && driver.status & 0x40 != 0)
        #expect(driver.transport.interrupt.resetReason?.contains("headOutOfRange") == true)
        driver.probe()
        let buffers = driver.netPostReceive(1)
        let frame = NetTest.frame(length: 60, seed: 8)
        net.receive(frame)
        #expect(driver.bytes(buffers[0], 72) == NetTest.receivedHeader + frame)
    }

    @Test("a full ring of bad transmit chains is all returned, then frames go on")
    func fullRingOfBadChains() {
        for _ in 0..<16 {
            driver.pushAvail(queue: NetTest.tx, driver.addChain(queue: NetTest.tx, [.readable(0, 0)]))
        }
        driver.kick(queue: NetTest.tx)
        #expect(driver.takeUsed(queue: NetTest.tx).map(\.length) == [UInt32](repeating: 0, count: 16))
        expectTransmitWorks()
    }
}
