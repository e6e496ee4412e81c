#if canImport(Glibc)
import Glibc
#endif
import Testing
import VMMDevices

@Suite("virtio-blk")
struct VirtioBlockTests {
    /// 64 sectors; sector n is filled with byte n.
    static func disk(readOnly: Bool = false) -> MemoryBlockBackend {
        MemoryBlockBackend(bytes: (0..<64).flatMap { [UInt8](repeating: UInt8($0), count: 512) }, readOnly: readOnly)
    }

    func ready(_ block: VirtioBlock, queueSize: UInt16 = 16) -> VirtioTestDriver {
        let driver = VirtioTestDriver(device: block)
        driver.probe(queueSize: queueSize)
        return driver
    }

    @Test("a Linux-like driver: probe, capacity, read, write, flush, get-id, each with an interrupt")
    func happyPath() {
        let disk = Self.disk()
        let block = VirtioBlock(backend: disk, serial: "vmctl-disk-0")
        let driver = VirtioTestDriver(device: block)
        #expect(driver.read32(0x008) == 2)
        #expect(driver.probe())
        #expect(driver.status == 0xF)
        #expect(driver.transport.driverFeatures & VirtioBlock.Feature.flush != 0)
        #expect(driver.read32(0x100) == 64 && driver.read32(0x104) == 0)

        let read = driver.blkRead(sector: 3, sectors: 2)
        #expect(read.status == 0 && read.used == 1025)
        #expect(read.data == [UInt8](repeating: 3, count: 512) + [UInt8](repeating: 4, count: 512))
        #expect(driver.irq.count == 1)
        #expect(driver.acknowledge() == 1)

        let payload = (0..<1024).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let write = driver.blkWrite(sector: 10, payload)
        #expect(write.status == 0 && write.used == 1)
        #expect(Array(disk.bytes[5120..<6144]) == payload)
        #expect(driver.blkRead(sector: 10, sectors: 2).data == payload)

        let flushStatus = driver.statusByte()
        #expect(driver.submit(driver.blkChain(VirtioTestDriver.blkFlush, status: flushStatus)).last?.length == 1)
        #expect(driver.bytes(flushStatus, 1) == [0])
        #expect(disk.flushCount == 1)

        let id = driver.allocate(20)
        let idStatus = driver.statusByte()
        let used = driver.submit(driver.blkChain(VirtioTestDriver.blkGetID, data: id, dataLength: 20, status: idStatus))
        #expect(used.last?.length == 21)
        #expect(driver.bytes(id, 20) == Array("vmctl-disk-0".utf8) + [UInt8](repeating: 0, count: 8))
        #expect(driver.bytes(idStatus, 1) == [0])
        #expect(block.stats.completed == 5 && block.stats.failedRequests == 0)
        #expect(driver.irq.count == 5)
    }

    @Test("indirect descriptors and EVENT_IDX with a batch of requests: one interrupt for the batch")
    func indirectBatch() throws {
        let block = VirtioBlock(backend: Self.disk())
        let driver = ready(block)
        let table = driver.allocate(48)
        let data = driver.allocate(512)
        let status = driver.statusByte()
        driver.writeDescriptor(table: table, index: 0, .init(address: driver.header(0, sector: 9), length: 16, flags: 1, next: 1))
        driver.writeDescriptor(table: table, index: 1, .init(address: data, length: 512, flags: 3, next: 2))
        driver.writeDescriptor(table: table, index: 2, .init(address: status, length: 1, flags: 2))
        let head = driver.addChain([.init(address: table, length: 48, flags: TestDescriptor.indirect)], link: false)
        driver.pushAvail(head)
        let second = driver.blkChain(VirtioTestDriver.blkIn, sector: 1, data: driver.allocate(512), dataLength: 512, status: driver.statusByte())
        driver.pushAvail(driver.addChain(second))
        // used_event = 1: the driver wants to hear once both are done.
        try driver.memory.writeInteger(GuestAddress(driver.layout(queue: 0).availRing.value + 4 + 2 * 16), UInt16(1))
        driver.kick()
        #expect(driver.takeUsed().map(\.length) == [513, 513])
        #expect(driver.bytes(data, 512) == [UInt8](repeating: 9, count: 512))
        #expect(driver.irq.count == 1)
        // avail_event tells the driver to kick for entry 2.
        #expect(try driver.memory.readInteger(GuestAddress(driver.layout(queue: 0).usedRing.value + 4 + 8 * 16), as: UInt16.self) == 2)
    }

    @Test("read-only disk: RO offered, OUT fails with IOERR and leaves the disk alone, IN and FLUSH work")
    func readOnly() {
        let disk = Self.disk(readOnly: true)
        let block = VirtioBlock(backend: disk, readOnly: true)
        let driver = ready(block)
        #expect(driver.transport.driverFeatures & VirtioBlock.Feature.readOnly != 0)
        let write = driver.blkWrite(sector: 0, [UInt8](repeating: 0xAB, count: 512))
        #expect(write.status == 1 && write.used == 1)
        #expect(disk.bytes[0] == 0)
        #expect(driver.blkRead(sector: 5).data.first == 5)
        let status = driver.statusByte()
        _ = driver.submit(driver.blkChain(VirtioTestDriver.blkFlush, status: status))
        #expect(driver.bytes(status, 1) == [0])
    }

    @Test("sectors beyond the capacity, partial sectors and wrapping sector numbers fail with IOERR")
    func bounds() {
        let disk = Self.disk()
        let driver = ready(VirtioBlock(backend: disk))
        #expect(driver.blkRead(sector: 63).status == 0)
        #expect(driver.blkRead(sector: 64).status == 1)
        #expect(driver.blkRead(sector: 63, sectors: 2).status == 1)
        #expect(driver.blkRead(sector: UInt64.max).status == 1)
        #expect(driver.blkRead(sector: UInt64.max / 512 + 1).status == 1)
        #expect(driver.blkWrite(sector: 64, [UInt8](repeating: 1, count: 512)).status == 1)
        #expect(driver.blkWrite(sector: 0, [1, 2, 3]).status == 1)
        #expect(disk.bytes[0] == 0 && disk.bytes.count == 64 * 512)
        #expect(driver.blkRead(sector: 1).data.first == 1)
    }

    @Test("a disk whose size is not a sector multiple exposes the whole sectors only")
    func partialCapacity() {
        let block = VirtioBlock(backend: MemoryBlockBackend(size: 1000))
        #expect(block.capacity == 1)
        #expect(block.configBytes == [1, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test("unknown request types get UNSUPP; malformed requests get IOERR")
    func malformed() {
        let driver = ready(VirtioBlock(backend: Self.disk()))
        var status = driver.statusByte()
        _ = driver.submit(driver.blkChain(99, status: status))
        #expect(driver.bytes(status, 1) == [2])
        // Header shorter than 16 bytes.
        status = driver.statusByte()
        _ = driver.submit([.readable(driver.header(0), 8), .writable(status, 1)])
        #expect(driver.bytes(status, 1) == [1])
        // IN with readable data after the header.
        status = driver.statusByte()
        _ = driver.submit([.readable(driver.header(0), 16), .readable(driver.allocate(512), 512), .writable(status, 1)])
        #expect(driver.bytes(status, 1) == [1])
        // OUT with writable data before the status.
        status = driver.statusByte()
        _ = driver.submit([.readable(driver.header(1), 16), .writable(driver.allocate(512), 512), .writable(status, 1)])
        #expect(driver.bytes(status, 1) == [1])
        // GET_ID without a buffer.
        status = driver.statusByte()
        _ = driver.submit(driver.blkChain(VirtioTestDriver.blkGetID, status: status))
        #expect(driver.bytes(status, 1) == [1])
        // A header split over two descriptors is fine.
        let header = driver.header(0, sector: 7)
        let data = driver.allocate(512)
        status = driver.statusByte()
        _ = driver.submit([.readable(header, 5), .readable(header + 5, 11), .writable(data, 512), .writable(status, 1)])
        #expect(driver.bytes(status, 1) == [0] && driver.bytes(data, 1) == [7])
    }

    @Test("backend errors become IOERR")
    func backendError() {
        final class Failing: BlockBackend {
            var size: UInt64 { 4096 }
            func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockBackendError) { throw .io("pread", 5) }
            func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockBackendError) { throw .io("pwrite", 5) }
            func flush() throws(BlockBackendError) { throw .io("fsync", 5) }
        }
        let driver = ready(VirtioBlock(backend: Failing()))
        #expect(driver.blkRead(sector: 0) .status == 1)
        #expect(driver.blkWrite(sector: 0, [UInt8](repeating: 0, count: 512)).status == 1)
        let status = driver.statusByte()
        _ = driver.submit(driver.blkChain(VirtioTestDriver.blkFlush, status: status))
        #expect(driver.bytes(status, 1) == [1])
    }

    @Test("a large read moves through the bounce buffer in pieces")
    func largeTransfer() {
        let disk = MemoryBlockBackend(bytes: (0..<(512 * 1024)).map { UInt8(truncatingIfNeeded: $0 / 512) })
        let driver = ready(VirtioBlock(backend: disk))
        let read = driver.blkRead(sector: 0, sectors: 600)
        #expect(read.status == 0 && read.used == 600 * 512 + 1)
        #expect(read.data == Array(disk.bytes[0..<(600 * 512)]))
    }

    @Test("the raw-file backend: pread/pwrite/fsync, size from the file, read-only refuses writes")
    func rawFile() throws {
        let path = "/tmp/vmctl-blk-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).img"
        defer { unlink(path) }
        let fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0o600)
        #expect(fd >= 0)
        #expect(ftruncate(fd, 8192) == 0)
        close(fd)
        let file = try RawFileBlockBackend(path: path, readOnly: false)
        #expect(file.size == 8192)
        let driver = ready(VirtioBlock(backend: file, serial: "raw"))
        #expect(driver.read32(0x100) == 16)
        let payload = (0..<512).map { UInt8(truncatingIfNeeded: $0 ^ 0x5A) }
        #expect(driver.blkWrite(sector: 15, payload).status == 0)
        let status = driver.statusByte()
        _ = driver.submit(driver.blkChain(VirtioTestDriver.blkFlush, status: status))
        #expect(driver.bytes(status, 1) == [0])
        #expect(driver.blkRead(sector: 15).data == payload)
        #expect(driver.blkRead(sector: 16).status == 1)

        let readOnly = try RawFileBlockBackend(path: path, readOnly: true)
        let roDriver = ready(VirtioBlock(backend: readOnly, readOnly: true))
        #expect(roDriver.blkRead(sector: 15).data == payload)
        #expect(roDriver.blkWrite(sector: 0, payload).status == 1)
        var refusal: BlockBackendError?
        payload.withUnsafeBytes { buffer in
            // A typed-throws closure here crashes the 6.3 compiler (IRGen); catch inside instead.
            do throws(BlockBackendError) { try readOnly.write(at: 0, from: buffer) } catch { refusal = error }
        }
        #expect(refusal == .readOnly)
        #expect(throws: BlockBackendError.open(path: path + ".missing", errno: ENOENT)) {
            try RawFileBlockBackend(path: path + ".missing", readOnly: true)
        }
    }
}
