import Testing
import VMMDevices

/// The MULTIPORT handshake and port 1 ("vmctl.agent") as Linux's virtio_console drives them.
@Suite("virtio-console MULTIPORT")
struct VirtioConsoleMultiportTests {
    let console = VirtioConsoleBuffer()
    let agent = VirtioConsoleBuffer()
    let device: VirtioConsole
    let driver: VirtioTestDriver
    let control: ControlDriver

    init() {
        device = VirtioConsole(output: console, namedPorts: [VirtioConsolePort(name: "vmctl.agent", output: agent)], inputLimit: 32)
        driver = VirtioTestDriver(device: device)
        control = ControlDriver(driver: driver)
    }

    /// Message bytes as the spec lays them out (le32 id, le16 event, le16 value).
    static func message(_ id: UInt32, _ event: UInt16, _ value: UInt16) -> [UInt8] {
        [UInt8(id & 0xFF), UInt8(id >> 8 & 0xFF), UInt8(id >> 16 & 0xFF), UInt8(id >> 24), UInt8(event), 0, UInt8(value), 0]
    }

    /// Linux's probe and DEVICE_READY, then PORT_READY for both ports; returns what the device sent.
    func handshake() -> [[UInt8]] {
        #expect(driver.probe())
        control.postReceiveBuffers(8)
        control.send(0xFFFF_FFFF, 0, 1)
        control.send(0, 3, 1)
        control.send(1, 3, 1)
        return control.received()
    }

    @Test("offers MULTIPORT with max_nr_ports 2 and six queues (port 0, control, port 1)")
    func identity() {
        #expect(device.deviceFeatures & VirtioConsole.multiportFeature != 0)
        #expect(driver.read32(0x104) == 2)
        #expect(driver.read32(0x100) == 0 && driver.read32(0x108) == 0)
        #expect(driver.probe())
        #expect(driver.queueSizes.count == 6)
        #expect(device.isMultiport)
        #expect(VirtioConsole.receiveQueue(port: 1) == 4)
        let single = VirtioConsole(output: console)
        #expect(single.deviceFeatures & VirtioConsole.multiportFeature == 0 && single.queueMaxSizes.count == 2)
        #expect(single.configBytes == [UInt8](repeating: 0, count: 12))
    }

    @Test("handshake: DEVICE_READY → DEVICE_ADD 0 and 1; PORT_READY 0 → CONSOLE_PORT; PORT_READY 1 → PORT_NAME")
    func handshakeBytes() {
        let sent = handshake()
        #expect(sent == [Self.message(0, 1, 1), Self.message(1, 1, 1), Self.message(0, 4, 1),
                         Self.message(1, 7, 1) + Array("vmctl.agent".utf8) + [0]])
        #expect(control.usedLengths.last == 20, "Linux sizes the name from the used length")
        #expect(control.returned == 3, "every driver message comes back at once (Linux spins on it)")
        #expect(device.stats.invalidControl == 0)
    }

    @Test("host connect and disconnect become PORT_OPEN 1 and 0; before PORT_READY the state waits for it")
    func hostConnection() {
        device.setHostConnected(true, port: 1)   // before the driver is there
        let sent = handshake()
        #expect(sent.suffix(2) == [Self.message(1, 7, 1) + Array("vmctl.agent".utf8) + [0], Self.message(1, 6, 1)])
        device.setHostConnected(false, port: 1)
        #expect(control.received() == [Self.message(1, 6, 0)])
        device.setHostConnected(false, port: 1)   // no change, no message
        #expect(control.received().isEmpty)
        device.setHostConnected(true, port: 1)
        #expect(control.received() == [Self.message(1, 6, 1)])
        device.setHostConnected(true, port: 0)   // the console has no host side
        device.setHostConnected(true, port: 5)
        #expect(control.received().isEmpty)
    }

    @Test("port 1 data both ways once the guest opens it; port 0 stays the console")
    func dataBothWays() {
        _ = handshake()
        device.setHostConnected(true, port: 1)
        _ = control.received()
        let buffers = (0..<2).map { _ in driver.allocate(16) }
        for buffer in buffers { driver.pushAvail(queue: 4, driver.addChain(queue: 4, [.writable(buffer, 16)])) }
        driver.kick(queue: 4)
        #expect(device.receive(Array("PING 1\n".utf8), port: 1) == 7)
        #expect(driver.takeUsed(queue: 4).isEmpty, "the guest has not opened the port: Linux would discard it")
        #expect(device.pendingInput(port: 1) == 7)
        control.send(1, 6, 1)
        #expect(device.isGuestOpen(port: 1))
        #expect(driver.takeUsed(queue: 4).map(\.length) == [7])
        #expect(driver.bytes(buffers[0], 7) == Array("PING 1\n".utf8))
        let reply = driver.allocate(7, fill: Array("PONG 1\n".utf8))
        _ = driver.submit(queue: 5, [.readable(reply, 7)])
        #expect(agent.bytes == Array("PONG 1\n".utf8))
        _ = driver.submit(queue: 1, [.readable(driver.allocate(3, fill: Array("hvc".utf8)), 3)])
        #expect(console.bytes == Array("hvc".utf8) && agent.bytes.count == 7)
        // Closed again: input waits.
        control.send(1, 6, 0)
        device.receive([9], port: 1)
        #expect(driver.takeUsed(queue: 4).isEmpty && device.pendingInput(port: 1) == 1)
    }

    @Test("disconnect drops the client's undelivered input (counted), like unread bytes of a closed socket")
    func disconnectDropsInput() {
        _ = handshake()
        device.setHostConnected(true, port: 1)
        device.receive(Array("abc".utf8), port: 1)
        device.setHostConnected(false, port: 1)
        #expect(device.pendingInput(port: 1) == 0 && device.stats.droppedInput == 3)
        #expect(device.receive([1], port: 7) == 0 && device.stats.droppedInput == 4)
    }

    @Test("malformed driver messages are counted and ignored; the queue keeps working")
    func malformedControl() {
        _ = handshake()
        let short = driver.allocate(4, fill: [1, 0, 0, 0])
        _ = driver.submit(queue: 3, [.readable(short, 4)])                    // shorter than the header
        control.send(1, 99, 1)                                                // unknown event
        control.send(7, 6, 1)                                                 // no port 7
        control.send(0xFFFF_FFFF, 3, 1)                                       // PORT_READY without a port
        control.send(1, 1, 1)                                                 // DEVICE_ADD: device → driver only
        control.send(1, 7, 1)                                                 // PORT_NAME: device → driver only
        #expect(device.stats.invalidControl == 6)
        #expect(control.received().isEmpty)
        #expect(!device.isGuestOpen(port: 1) && driver.status == 0xF)
        // A header split over two descriptors is still one message.
        let half1 = driver.allocate(4, fill: [1, 0, 0, 0])
        let half2 = driver.allocate(4, fill: [6, 0, 1, 0])
        _ = driver.submit(queue: 3, [.readable(half1, 4), .readable(half2, 4)])
        #expect(device.isGuestOpen(port: 1) && device.stats.invalidControl == 6)
        // A chain with no readable bytes at all.
        _ = driver.submit(queue: 3, [.writable(driver.allocate(8), 8)])
        #expect(device.stats.invalidControl == 7)
    }

    @Test("PORT_READY 0 leaves the port silent; DEVICE_READY 0 adds no ports")
    func driverFailures() {
        #expect(driver.probe())
        control.postReceiveBuffers(8)
        control.send(0xFFFF_FFFF, 0, 0)
        #expect(control.received().isEmpty)
        control.send(1, 3, 0)
        device.setHostConnected(true, port: 1)
        #expect(control.received().isEmpty)
        #expect(device.stats.invalidControl == 0)
    }

    @Test("a control buffer too short for a message comes back empty and the message takes the next one")
    func shortControlBuffer() {
        #expect(driver.probe())
        let small = driver.allocate(4)
        driver.pushAvail(queue: 2, driver.addChain(queue: 2, [.writable(small, 4)]))
        driver.kick(queue: 2)
        control.send(0xFFFF_FFFF, 0, 1)
        #expect(driver.takeUsed(queue: 2).map(\.length) == [0])
        #expect(device.stats.invalidChains == 1)
        control.postReceiveBuffers(2)
        #expect(control.received() == [Self.message(0, 1, 1), Self.message(1, 1, 1)])
    }

    @Test("with no control buffers at most 64 messages wait; the rest are dropped and counted")
    func controlBound() {
        #expect(driver.probe())
        for _ in 0..<40 { control.send(0xFFFF_FFFF, 0, 1) }   // 80 DEVICE_ADDs
        #expect(device.stats.droppedControl == 16)
        control.postReceiveBuffers(16)
        #expect(control.received().count == 16)
    }

    @Test("a driver without MULTIPORT gets the single console port; control kicks and port 1 input go nowhere")
    func legacyDriver() {
        #expect(driver.probe(accept: { $0 & ~VirtioConsole.multiportFeature }))
        #expect(!device.isMultiport)
        _ = driver.submit(queue: 3, [.readable(driver.allocate(8, fill: Self.message(0xFFFF_FFFF, 0, 1)), 8)])
        #expect(driver.takeUsed(queue: 3).isEmpty && device.stats.invalidControl == 0)
        device.receive([1, 2], port: 1)
        #expect(device.pendingInput(port: 1) == 2)
        _ = driver.submit(queue: 1, [.readable(driver.allocate(2, fill: [0x6F, 0x6B]), 2)])
        #expect(console.bytes == [0x6F, 0x6B])
    }

    @Test("MULTIPORT activation needs every port's queues")
    func allQueues() throws {
        let queue = try SplitVirtqueue(layout: driver.layout(queue: 0), maxSize: 16, memory: driver.memory)
        #expect(throws: VirtioActivationError.queueNotReady(4)) {
            try device.activate(features: VirtioConsole.multiportFeature, queues: [queue, queue, queue, queue, nil, queue],
                                memory: driver.memory, interrupt: driver.transport.interrupt)
        }
        try device.activate(features: 0, queues: [queue, queue], memory: driver.memory, interrupt: driver.transport.interrupt)
        #expect(!device.isMultiport)
    }

    @Test("after a reset the driver starts over: ports are announced again, the host state is kept")
    func resetStartsOver() {
        _ = handshake()
        device.setHostConnected(true, port: 1)
        control.send(1, 6, 1)
        #expect(device.isGuestOpen(port: 1))
        let sent = handshake()   // probe resets the device first
        #expect(!device.isGuestOpen(port: 1))
        #expect(sent.count == 5 && sent.last == Self.message(1, 6, 1))
    }
}

/// The driver's side of the control queues (2: device → driver, 3: driver → device), on top of VirtioTestDriver.
final class ControlDriver {
    let driver: VirtioTestDriver
    private var posted: [UInt16: UInt64] = [:]
    private(set) var usedLengths: [UInt32] = []
    /// Driver → device messages the device gave back.
    private(set) var returned = 0

    init(driver: VirtioTestDriver) {
        self.driver = driver
    }

    /// Like fill_queue: 64-byte device-writable buffers (Linux posts pages), then a kick.
    func postReceiveBuffers(_ count: Int) {
        for _ in 0..<count {
            let buffer = driver.allocate(64)
            let head = driver.addChain(queue: 2, [.writable(buffer, 64)])
            posted[head] = buffer
            driver.pushAvail(queue: 2, head)
        }
        driver.kick(queue: 2)
    }

    /// One driver → device message, as __send_control_msg sends it.
    func send(_ id: UInt32, _ event: UInt16, _ value: UInt16) {
        let bytes = VirtioConsoleMultiportTests.message(id, event, value)
        returned += driver.submit(queue: 3, [.readable(driver.allocate(8, fill: bytes), 8)]).count
    }

    /// The device's messages since the last call, each buffer cut to its used length; the buffers are reposted.
    func received() -> [[UInt8]] {
        let used = driver.takeUsed(queue: 2)
        usedLengths = used.map(\.length)
        let messages = used.map { element in driver.bytes(posted[UInt16(element.id)] ?? 0, Int(element.length)) }
        if !used.isEmpty { postReceiveBuffers(used.count) }
        return messages
    }
}
