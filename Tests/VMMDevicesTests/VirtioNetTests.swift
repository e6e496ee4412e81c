import Testing
import VMMDevices

@Suite("virtio-net")
struct VirtioNetTests {
    let output = NetFrameBuffer()
    let net: VirtioNet
    let driver: VirtioTestDriver

    init() {
        // The MAC is six bytes by construction here.
        net = VirtioNet(mac: MACAddress(NetTest.mac)!, output: output, pendingLimit: 4)
        driver = VirtioTestDriver(device: net)
    }

    @Test("device id 1; MAC, STATUS, MTU, EVENT_IDX and VERSION_1 offered, nothing else; two queues of 256")
    func identity() {
        #expect(driver.read32(0x008) == 1)
        driver.write32(0x14, 0)
        let low = UInt64(driver.read32(0x10))
        driver.write32(0x14, 1)
        let high = UInt64(driver.read32(0x10))
        #expect(high << 32 | low == 1 << 3 | 1 << 5 | 1 << 16 | 1 << 29 | 1 << 32)
        #expect(driver.probe())
        #expect(driver.transport.isActivated)
        #expect(driver.queueSizes == [16, 16])
        driver.write32(0x30, 1)
        #expect(driver.read32(0x34) == 256)
    }

    @Test("config space: mac[6], status LINK_UP, max_virtqueue_pairs 1, mtu 1500, at any width")
    func configSpace() {
        var bytes = [UInt8](repeating: 0xEE, count: 14)
        for offset in 0..<bytes.count {
            var one = [UInt8(0xEE)]
            driver.transport.read(offset: 0x100 + UInt64(offset), data: &one)
            bytes[offset] = one[0]
        }
        #expect(bytes == NetTest.mac + [1, 0, 1, 0, 0xDC, 0x05, 0, 0])
        #expect(driver.read32(0x104) == 0x0001_5634)  // mac[4], mac[5], then status 1, little-endian
        // The driver may not change the MAC through config space (VERSION_1); the write is ignored.
        driver.probe()
        driver.transport.write(offset: 0x100, data: [1, 2, 3, 4])
        #expect(net.configBytes.prefix(6) == NetTest.mac[...])
    }

    @Test("transmit: the backend gets exactly the frame, header stripped; used length 0; counters")
    func transmit() {
        driver.probe()
        let frame = NetTest.frame(length: 60)
        let used = driver.netSend(frame)
        #expect(used.map(\.length) == [0])
        #expect(output.frames == [frame])
        #expect(net.stats.framesOut == 1 && net.stats.bytesOut == 60)
        #expect(net.stats.totalDropped == 0 && net.stats.invalidChains == 0)
        #expect(driver.irq.count == 1)
    }

    @Test("transmit: header and frame split over several descriptors are joined exactly")
    func transmitScattered() {
        driver.probe()
        let frame = NetTest.frame(length: 100, seed: 9)
        let bytes = NetTest.header() + frame
        // 5 + 7 bytes of header, then the frame in three pieces.
        let cuts = [0, 5, 12, 40, 41, bytes.count]
        let chain = zip(cuts, cuts.dropFirst()).map { start, end in
            TestDescriptor.readable(driver.allocate(end - start, fill: Array(bytes[start..<end])), UInt32(end - start))
        }
        #expect(driver.submit(queue: NetTest.tx, chain).map(\.length) == [0])
        #expect(output.frames == [frame])
    }

    @Test("transmit: 14 and 1518 bytes pass; the frames keep their order")
    func transmitLimits() {
        driver.probe()
        let smallest = NetTest.frame(length: VirtioNet.minFrame, seed: 1)
        let largest = NetTest.frame(length: VirtioNet.maxFrame, seed: 2)
        _ = driver.netSend(smallest)
        _ = driver.netSend(largest)
        #expect(output.frames == [smallest, largest])
        #expect(VirtioNet.maxFrame == 1518)
    }

    @Test("receive: header bytes exact (num_buffers 1), frame after it, used length 12 + frame, interrupt")
    func receive() {
        driver.probe()
        let buffers = driver.netPostReceive(2)
        #expect(driver.takeUsed(queue: NetTest.rx).isEmpty)
        let frame = NetTest.frame(length: 60, seed: 3)
        #expect(net.receive(frame))
        #expect(driver.takeUsed(queue: NetTest.rx).map(\.length) == [72])
        #expect(driver.bytes(buffers[0], 72) == NetTest.receivedHeader + frame)
        #expect(driver.irq.count == 1)
        #expect(net.stats.framesIn == 1 && net.stats.bytesIn == 60)
        let largest = NetTest.frame(length: VirtioNet.maxFrame, seed: 4)
        #expect(net.receive(largest))
        #expect(driver.takeUsed(queue: NetTest.rx).map(\.length) == [1530])
        #expect(driver.bytes(buffers[1], 1530) == NetTest.receivedHeader + largest)
    }

    @Test("receive: header and frame are scattered over the chain's writable buffers")
    func receiveScattered() {
        driver.probe()
        let first = driver.allocate(7)
        let second = driver.allocate(20)
        let third = driver.allocate(100)
        driver.pushAvail(queue: NetTest.rx, driver.addChain(queue: NetTest.rx, [.writable(first, 7), .writable(second, 20),
                                                                               .writable(third, 100)]))
        driver.kick(queue: NetTest.rx)
        let frame = NetTest.frame(length: 50, seed: 5)
        net.receive(frame)
        #expect(driver.takeUsed(queue: NetTest.rx).map(\.length) == [62])
        let expected = NetTest.receivedHeader + frame
        #expect(driver.bytes(first, 7) + driver.bytes(second, 20) + driver.bytes(third, 35) == expected)
        #expect(driver.bytes(third + 35, 65) == [UInt8](repeating: 0, count: 65))
    }

    @Test("receive without buffers: frames wait (at most pendingLimit) and arrive in order once buffers are posted")
    func receiveWaits() {
        driver.probe()
        let frames = (1...6).map { NetTest.frame(length: 60 + $0, seed: UInt8($0)) }
        #expect(net.receive(frames) == 4)
        #expect(net.pendingFrames == 4)
        #expect(net.stats.dropped(.rxQueueFull) == 2)
        #expect(driver.irq.count == 0)
        let buffers = driver.netPostReceive(3)
        #expect(driver.takeUsed(queue: NetTest.rx).map(\.length) == [73, 74, 75])
        for index in 0..<3 {
            #expect(driver.bytes(buffers[index], 12 + frames[index].count) == NetTest.receivedHeader + frames[index])
        }
        #expect(net.pendingFrames == 1)
        let last = driver.netPostReceive(2)
        #expect(driver.takeUsed(queue: NetTest.rx).map(\.length) == [76])
        #expect(driver.bytes(last[0], 76) == NetTest.receivedHeader + frames[3])
        #expect(net.pendingFrames == 0)
        #expect(net.stats.framesIn == 4)
    }

    @Test("a full queue first drains into buffers already posted")
    func fullQueueDrains() {
        driver.probe()
        driver.netPostReceive(8, kick: false)  // posted, no kick (a driver suppressing kicks)
        let frames = (1...8).map { NetTest.frame(length: 64, seed: UInt8($0)) }
        #expect(net.receive(frames) == 8)
        #expect(driver.takeUsed(queue: NetTest.rx).count == 8)
        #expect(net.stats.dropped(.rxQueueFull) == 0)
    }

    @Test("frames before DRIVER_OK, after a reset, and while in NEEDS_RESET are dropped as not ready")
    func notReady() {
        #expect(!net.receive(NetTest.frame(length: 60)))
        driver.probe()
        driver.netPostReceive(1)
        #expect(net.receive(NetTest.frame(length: 60)))
        driver.write32(0x70, 0)
        #expect(!net.receive(NetTest.frame(length: 60)))
        #expect(net.stats.dropped(.rxNotReady) == 2)
    }

    @Test("reset discards waiting frames (counted), forgets the queues, and a new probe starts clean")
    func reset() {
        driver.probe()
        net.receive([NetTest.frame(length: 60, seed: 1), NetTest.frame(length: 60, seed: 2)])
        #expect(net.pendingFrames == 2)
        driver.write32(0x70, 0)
        #expect(net.pendingFrames == 0 && !net.isActive)
        #expect(net.stats.dropped(.rxDiscardedAtReset) == 2)
        driver.probe()
        let buffers = driver.netPostReceive(1)
        #expect(driver.takeUsed(queue: NetTest.rx).isEmpty)  // nothing stale delivered
        let fresh = NetTest.frame(length: 60, seed: 3)
        net.receive(fresh)
        #expect(driver.bytes(buffers[0], 72) == NetTest.receivedHeader + fresh)
        _ = driver.netSend(NetTest.frame(length: 60, seed: 4))
        #expect(output.frames.count == 1)
    }

    @Test("activation needs both queues")
    func bothQueues() throws {
        let queue = try SplitVirtqueue(layout: driver.layout(queue: 0), maxSize: 16, memory: driver.memory)
        #expect(throws: VirtioActivationError.queueNotReady(1)) {
            try net.activate(features: 0, queues: [queue, nil], memory: driver.memory, interrupt: driver.transport.interrupt)
        }
        #expect(throws: VirtioActivationError.queueNotReady(0)) {
            try net.activate(features: 0, queues: [nil, queue], memory: driver.memory, interrupt: driver.transport.interrupt)
        }
    }
}
