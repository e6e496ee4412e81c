import Testing
import VMMDevices

@Suite("virtio-console")
struct VirtioConsoleTests {
    let output = VirtioConsoleBuffer()
    let console: VirtioConsole
    let driver: VirtioTestDriver

    init() {
        console = VirtioConsole(output: output, inputLimit: 32)
        driver = VirtioTestDriver(device: console)
    }

    /// Like Linux's hvc driver: fill the receive queue with writable buffers and kick.
    func postReceiveBuffers(_ count: Int, length: UInt32 = 8) -> [UInt64] {
        let buffers = (0..<count).map { _ in driver.allocate(Int(length)) }
        for buffer in buffers { driver.pushAvail(queue: 0, driver.addChain(queue: 0, [.writable(buffer, length)])) }
        driver.kick(queue: 0)
        return buffers
    }

    @Test("device id 3, two queues, 12 bytes of zero config")
    func identity() {
        #expect(driver.read32(0x008) == 3)
        #expect(driver.probe())
        #expect(driver.transport.isActivated)
        #expect(driver.queueSizes == [16, 16])
        #expect(driver.read32(0x100) == 0 && driver.read32(0x108) == 0)
    }

    @Test("guest output goes to the sink, across descriptors and requests")
    func transmit() {
        driver.probe()
        let hello = driver.allocate(6, fill: Array("hello ".utf8))
        let world = driver.allocate(6, fill: Array("world\n".utf8))
        let used = driver.submit(queue: 1, [.readable(hello, 6), .readable(world, 6)])
        #expect(used.count == 1 && used.first?.length == 0)
        #expect(output.bytes == Array("hello world\n".utf8))
        #expect(driver.irq.count == 1)
        _ = driver.submit(queue: 1, [.readable(driver.allocate(2, fill: [0x41, 0x42]), 2)])
        #expect(output.bytes.suffix(2) == [0x41, 0x42])
        #expect(console.stats.bytesOut == 14)
    }

    @Test("host input waits for receive buffers, fills them in order, and raises an interrupt")
    func receive() {
        #expect(console.receive(Array("early".utf8)) == 5)  // before the driver is there
        driver.probe()
        let buffers = postReceiveBuffers(2)
        #expect(driver.takeUsed(queue: 0).map(\.length) == [5])
        #expect(driver.bytes(buffers[0], 5) == Array("early".utf8))
        #expect(driver.irq.count == 1)
        console.receive(Array("0123456789".utf8))
        #expect(driver.takeUsed(queue: 0).map(\.length) == [8])
        #expect(driver.bytes(buffers[1], 8) == Array("01234567".utf8))
        #expect(console.pendingInput == 2)
        _ = postReceiveBuffers(1)
        #expect(driver.takeUsed(queue: 0).map(\.length) == [2])
        #expect(console.pendingInput == 0)
    }

    @Test("input beyond the buffer bound is dropped and counted")
    func inputLimit() {
        #expect(console.receive([UInt8](repeating: 1, count: 40)) == 32)
        #expect(console.stats.droppedInput == 8)
        #expect(console.receive([2]) == 0)
    }

    @Test("bad chains on either queue fail alone; an avail jump needs a reset")
    func robustness() {
        driver.probe()
        let used = driver.submit(queue: 1, [.readable(VirtioTestDriver.ramSize, 4)])
        #expect(used.first?.length == 0 && output.bytes.isEmpty)
        console.receive([7])
        let bad = driver.addChain(queue: 0, [.writable(UInt64.max - 1, 4)])
        driver.pushAvail(queue: 0, bad)
        driver.kick(queue: 0)
        #expect(driver.takeUsed(queue: 0).map(\.length) == [0])
        #expect(console.pendingInput == 1)
        _ = postReceiveBuffers(1)
        #expect(driver.takeUsed(queue: 0).map(\.length) == [1])
        #expect(console.stats.invalidChains == 2)

        driver.setAvailIndex(queue: 1, 100)
        driver.kick(queue: 1)
        #expect(driver.status & 0x40 != 0)
        #expect(console.isBroken)
        driver.probe()
        #expect(driver.status == 0xF)
        _ = driver.submit(queue: 1, [.readable(driver.allocate(1, fill: [0x5A]), 1)])
        #expect(output.bytes == [0x5A])
    }

    @Test("activation needs both queues")
    func bothQueues() throws {
        let queue = try SplitVirtqueue(layout: driver.layout(queue: 0), maxSize: 16, memory: driver.memory)
        #expect(throws: VirtioActivationError.queueNotReady(1)) {
            try console.activate(features: 0, queues: [queue, nil], memory: driver.memory, interrupt: driver.transport.interrupt)
        }
        #expect(throws: VirtioActivationError.queueNotReady(0)) {
            try console.activate(features: 0, queues: [], memory: driver.memory, interrupt: driver.transport.interrupt)
        }
    }
}
