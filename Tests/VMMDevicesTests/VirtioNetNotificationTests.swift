import Testing
import VMMDevices

/// Interrupt and kick suppression on both virtio-net queues (VIRTIO 1.x §2.7.7, §2.7.10).
@Suite("virtio-net notifications")
struct VirtioNetNotificationTests {
    let output = NetFrameBuffer()
    let net: VirtioNet
    let driver: VirtioTestDriver

    init() {
        net = VirtioNet(mac: MACAddress(NetTest.mac)!, output: output)
        driver = VirtioTestDriver(device: net)
    }

    @Test("EVENT_IDX on receive: an interrupt only when used.idx passes the driver's used_event")
    func receiveEventIndex() {
        driver.probe()
        driver.netPostReceive(4)
        net.receive(NetTest.frame(length: 60, seed: 1))
        #expect(driver.irq.count == 1)  // used_event 0: the first entry interrupts
        net.receive(NetTest.frame(length: 60, seed: 2))
        #expect(driver.irq.count == 1)  // used_event still 0: the driver has not re-enabled callbacks
        #expect(driver.takeUsed(queue: NetTest.rx).count == 2)  // re-enables: used_event = 2
        net.receive(NetTest.frame(length: 60, seed: 3))
        #expect(driver.irq.count == 2)
        driver.setUsedEvent(queue: NetTest.rx, 10)  // a driver batching: interrupt only at the 11th entry
        net.receive(NetTest.frame(length: 60, seed: 4))
        #expect(driver.irq.count == 2)
        #expect(driver.takeUsed(queue: NetTest.rx).count == 2)
    }

    @Test("EVENT_IDX on receive: frames waiting for buffers re-arm kicks at the next avail entry")
    func receiveRearms() {
        driver.probe()
        driver.netPostReceive(1)
        net.receive([NetTest.frame(length: 60, seed: 1), NetTest.frame(length: 60, seed: 2)])
        #expect(net.pendingFrames == 1)
        #expect(driver.availEvent(queue: NetTest.rx) == 1)  // "kick me when you post entry 1"
        driver.netPostReceive(1)
        #expect(net.pendingFrames == 0)
        #expect(driver.takeUsed(queue: NetTest.rx).count == 2)
    }

    @Test("a buffer posted without a kick is found when the next frame arrives")
    func postedWithoutKick() {
        driver.probe()
        let buffers = driver.netPostReceive(1, kick: false)
        let frame = NetTest.frame(length: 60)
        net.receive(frame)
        #expect(driver.bytes(buffers[0], 72) == NetTest.receivedHeader + frame)
    }

    @Test("EVENT_IDX on transmit: kicks re-armed at the next entry; completions interrupt per used_event")
    func transmitEventIndex() {
        driver.probe()
        _ = driver.netSend(NetTest.frame(length: 60, seed: 1))
        #expect(driver.availEvent(queue: NetTest.tx) == 1)
        #expect(driver.irq.count == 1)
        // Two frames posted with one kick; used_event is 1 (from the last takeUsed).
        for seed in UInt8(2)...3 {
            let bytes = NetTest.header() + NetTest.frame(length: 60, seed: seed)
            driver.pushAvail(queue: NetTest.tx, driver.addChain(queue: NetTest.tx, [.readable(driver.allocate(bytes.count, fill: bytes), UInt32(bytes.count))]))
        }
        driver.kick(queue: NetTest.tx)
        #expect(output.frames.count == 3)
        #expect(driver.availEvent(queue: NetTest.tx) == 3)
        #expect(driver.irq.count == 2)  // used.idx moved from 1 to 3, past used_event 1
        driver.setUsedEvent(queue: NetTest.tx, 100)
        _ = driver.netSend(NetTest.frame(length: 60, seed: 4))
        #expect(driver.irq.count == 2)
    }

    @Test("without EVENT_IDX: NO_INTERRUPT in avail.flags suppresses interrupts on both queues")
    func noInterruptFlag() {
        driver.probe(accept: { $0 & ~VirtioFeature.eventIndex })
        driver.setAvailFlags(queue: NetTest.tx, 1)
        driver.setAvailFlags(queue: NetTest.rx, 1)
        driver.netPostReceive(1)
        _ = driver.netSend(NetTest.frame(length: 60))
        net.receive(NetTest.frame(length: 60))
        #expect(output.frames.count == 1 && net.stats.framesIn == 1)
        #expect(driver.irq.count == 0)
        driver.setAvailFlags(queue: NetTest.tx, 0)
        _ = driver.netSend(NetTest.frame(length: 60))
        #expect(driver.irq.count == 1)
    }
}
