import Testing
import VMMDevices

/// Records what the transport asks of it.
final class RecordingDevice: VirtioDevice {
    var deviceID: UInt32 = 42
    var deviceFeatures: UInt64 = 1 << 3 | VirtioFeature.eventIndex
    var queueMaxSizes: [UInt16] = [16, 8]
    var configBytes: [UInt8] = Array(1...12)
    var activations: [(features: UInt64, queues: [SplitVirtqueue?])] = []
    var notifies: [Int] = []
    var resets = 0
    var configWrites: [(Int, [UInt8])] = []
    var failActivation = false

    func writeConfig(offset: Int, data: [UInt8]) { configWrites.append((offset, data)) }
    func activate(features: UInt64, queues: [SplitVirtqueue?], memory: any GuestMemory,
                  interrupt: VirtioInterrupt) throws(VirtioActivationError) {
        if failActivation { throw .queueNotReady(0) }
        activations.append((features, queues))
    }
    func notify(queue: Int) { notifies.append(queue) }
    func reset() { resets += 1 }
}

@Suite("virtio-mmio transport")
struct VirtioMMIOTransportTests {
    @Test("header registers, feature pages with VERSION_1, queue sizes")
    func header() {
        let device = RecordingDevice()
        let driver = VirtioTestDriver(device: device)
        #expect(driver.read32(0x000) == 0x7472_6976)
        #expect(driver.read32(0x004) == 2)
        #expect(driver.read32(0x008) == 42)
        #expect(driver.read32(0x00C) == 0)
        driver.write32(0x14, 0)
        #expect(driver.read32(0x10) == UInt32(1 << 3 | 1 << 29))
        driver.write32(0x14, 1)
        #expect(driver.read32(0x10) == 1)  // VERSION_1 is bit 32
        driver.write32(0x14, 2)
        #expect(driver.read32(0x10) == 0)
        for (queue, size) in [(0, 16), (1, 8), (2, 0), (0xFFFF_FFFF, 0)] {
            driver.write32(0x30, UInt32(queue))
            #expect(driver.read32(0x34) == UInt32(size))
            #expect(driver.read32(0x44) == 0)
        }
        #expect(VirtioMMIOTransport.windowSize == 0x1000)
    }

    @Test("a Linux probe activates the device with the negotiated features and validated queues")
    func probe() {
        let device = RecordingDevice()
        let driver = VirtioTestDriver(device: device)
        #expect(driver.probe(accept: { $0 & ~(1 << 3) }))
        #expect(driver.status == 0xF)
        #expect(driver.transport.isActivated)
        #expect(device.activations.count == 1)
        #expect(device.activations.first?.features == VirtioFeature.version1 | VirtioFeature.eventIndex)
        let queues = device.activations.first?.queues ?? []
        #expect(queues.map { $0?.size } == [16, 8])
        #expect(queues.first??.layout == driver.layout(queue: 0))
        #expect(queues.first??.eventIndex == true)
        driver.kick(queue: 1)
        driver.kick(queue: 7)  // no such queue: ignored
        #expect(device.notifies == [1])
    }

    @Test("the status ladder refuses skipped steps, cleared bits and writes after FAILED; 0 resets")
    func ladder() {
        let device = RecordingDevice()
        let driver = VirtioTestDriver(device: device)
        driver.write32(0x70, 3)  // DRIVER without ACKNOWLEDGE
        #expect(driver.status == 0)
        driver.write32(0x70, 1)
        driver.write32(0x70, 0xB)  // FEATURES_OK without DRIVER
        #expect(driver.status == 1)
        driver.write32(0x70, 3)
        driver.write32(0x70, 0x7)  // DRIVER_OK before FEATURES_OK
        #expect(driver.status == 3)
        driver.write32(0x70, 1)  // clearing DRIVER
        #expect(driver.status == 3)
        driver.write32(0x70, 3)  // rewriting the same value is harmless
        #expect(driver.status == 3)
        driver.write32(0x70, 0x83)  // FAILED at any time
        #expect(driver.status == 0x83)
        driver.write32(0x70, 0x8B)
        #expect(driver.status == 0x83)
        #expect(device.activations.isEmpty)
        driver.write32(0x70, 0)
        #expect(driver.status == 0)
        #expect(device.resets == 1)
        #expect(driver.transport.refusedWrites >= 5)
    }

    @Test("FEATURES_OK is refused for features not offered, or without VERSION_1")
    func featureNegotiation() {
        let driver = VirtioTestDriver(device: RecordingDevice())
        #expect(!driver.probe(accept: { $0 | 1 << 40 }))
        #expect(driver.status == 3)
        #expect(!driver.probe(accept: { $0 & ~VirtioFeature.version1 }))
        #expect(driver.probe())
        // Driver features are only writable in DRIVER.
        driver.write32(0x24, 0)
        driver.write32(0x20, 0)
        #expect(driver.transport.driverFeatures & VirtioFeature.eventIndex != 0)
    }

    @Test("queue registers are writable only between FEATURES_OK and DRIVER_OK, and not while the queue is ready")
    func queueStates() {
        let device = RecordingDevice()
        let driver = VirtioTestDriver(device: device)
        driver.write32(0x70, 1)
        driver.write32(0x70, 3)
        driver.write32(0x30, 0)
        driver.write32(0x44, 1)  // before FEATURES_OK
        #expect(driver.read32(0x44) == 0)
        driver.probe()
        driver.write32(0x30, 0)
        #expect(driver.read32(0x44) == 1)
        driver.write32(0x44, 0)  // after DRIVER_OK
        #expect(driver.read32(0x44) == 1)

        driver.write32(0x70, 0)
        #expect(driver.read32(0x44) == 0)  // reset clears queue state
        driver.write32(0x70, 1)
        driver.write32(0x70, 3)
        driver.write32(0x20, 0)
        driver.write32(0x24, 1)
        driver.write32(0x20, 1)
        driver.write32(0x70, 0xB)
        driver.write32(0x30, 0)
        driver.write32(0x38, 8)
        driver.write32(0x44, 1)
        let refused = driver.transport.refusedWrites
        driver.write32(0x38, 4)  // size change while ready: refused
        #expect(driver.transport.refusedWrites == refused + 1)
        driver.write32(0x80, 0x1000)
        driver.write32(0x90, 0x2000)
        driver.write32(0xA0, 0x3000)
        #expect(driver.transport.refusedWrites == refused + 4)
    }

    @Test("an invalid queue at DRIVER_OK: NEEDS_RESET, config interrupt, no activation, kicks ignored; reset recovers")
    func invalidQueueAtDriverOK() {
        let device = RecordingDevice()
        let driver = VirtioTestDriver(device: device)
        driver.probe(layoutFor: { index, layout in
            var bad = layout
            if index == 1 { bad.usedRing = GuestAddress(layout.usedRing.value + 2) }
            return bad
        })
        #expect(driver.status == 0x4F)
        #expect(!driver.transport.isActivated)
        #expect(driver.irq.count == 1)
        #expect(driver.read32(0x60) == 2)
        #expect(driver.transport.interrupt.resetReason?.contains("queue 1") == true)
        driver.kick(queue: 0)
        #expect(device.notifies.isEmpty)
        driver.probe()
        #expect(driver.status == 0xF)
        #expect(driver.read32(0x60) == 0)
        #expect(device.activations.count == 1)
    }

    @Test("a device refusing activation ends in NEEDS_RESET")
    func activationFailure() {
        let device = RecordingDevice()
        device.failActivation = true
        let driver = VirtioTestDriver(device: device)
        driver.probe()
        #expect(driver.status == 0x4F)
        #expect(!driver.transport.isActivated)
    }

    @Test("interrupt status and acknowledge; config generation")
    func interrupts() {
        let driver = VirtioTestDriver(device: RecordingDevice())
        driver.probe()
        let interrupt = driver.transport.interrupt
        let before = driver.irq.count
        interrupt.usedBuffer()
        #expect(driver.irq.count == before + 1)
        #expect(driver.read32(0x60) == 1)
        let generation = driver.read32(0xFC)
        interrupt.configChanged()
        #expect(driver.read32(0x60) == 3)
        #expect(driver.read32(0xFC) == generation &+ 1)
        driver.write32(0x64, 1)
        #expect(driver.read32(0x60) == 2)
        #expect(driver.acknowledge() == 2)
        #expect(driver.read32(0x60) == 0)
    }

    @Test("config space reads at any width and offset; bytes past the end read 0; writes reach the device after DRIVER")
    func configSpace() {
        let device = RecordingDevice()
        let driver = VirtioTestDriver(device: device)
        for width in [1, 2, 4, 8] {
            var data = [UInt8](repeating: 0xAA, count: width)
            driver.transport.read(offset: 0x102, data: &data)
            #expect(data == Array(3..<(3 + UInt8(width))))
        }
        var tail = [UInt8](repeating: 0xAA, count: 8)
        driver.transport.read(offset: 0x10A, data: &tail)
        #expect(tail == [11, 12, 0, 0, 0, 0, 0, 0])
        var far = [UInt8](repeating: 0xAA, count: 4)
        driver.transport.read(offset: UInt64.max - 1, data: &far)
        #expect(far == [0, 0, 0, 0])
        driver.transport.write(offset: 0x100, data: [9])  // before DRIVER: refused
        #expect(device.configWrites.isEmpty)
        driver.write32(0x70, 1)
        driver.write32(0x70, 3)
        driver.transport.write(offset: 0x104, data: [9, 8])
        driver.transport.write(offset: 0x200, data: [9])  // past the config space
        #expect(device.configWrites.count == 1 && device.configWrites.first?.0 == 4)
    }

    @Test("register accesses that are not 32-bit and aligned read 0 and are ignored")
    func widths() {
        let driver = VirtioTestDriver(device: RecordingDevice())
        var byte = [UInt8](repeating: 0xAA, count: 1)
        driver.transport.read(offset: 0, data: &byte)
        #expect(byte == [0])
        var wide = [UInt8](repeating: 0xAA, count: 8)
        driver.transport.read(offset: 0, data: &wide)
        #expect(wide == [UInt8](repeating: 0, count: 8))
        var unaligned = [UInt8](repeating: 0xAA, count: 4)
        driver.transport.read(offset: 2, data: &unaligned)
        #expect(unaligned == [0, 0, 0, 0])
        driver.transport.write(offset: 0x70, data: [1])
        driver.transport.write(offset: 0x70, data: [1, 0])
        #expect(driver.status == 0)
        #expect(driver.transport.refusedWrites == 2)
    }
}
