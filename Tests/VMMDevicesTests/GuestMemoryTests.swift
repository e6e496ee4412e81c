import Testing
import VMMDevices

@Suite("Guest memory and buses")
struct GuestMemoryTests {
    @Test("reads and writes inside a region; anything touching outside or overflowing fails")
    func bounds() throws {
        let memory = ByteGuestMemory(regions: [GuestMemoryRegion(start: GuestAddress(0), size: 0x1000),
                                               GuestMemoryRegion(start: GuestAddress(0x10000), size: 0x1000)])
        try memory.writeInteger(GuestAddress(0x10), UInt32(0xDEAD_BEEF))
        #expect(try memory.readInteger(GuestAddress(0x10), as: UInt32.self) == 0xDEAD_BEEF)
        #expect(try memory.readBytes(GuestAddress(0x10), count: 4) == [0xEF, 0xBE, 0xAD, 0xDE])
        try memory.writeBytes(GuestAddress(0x10FFC), [1, 2, 3, 4])
        #expect(throws: GuestMemoryError.self) { try memory.readBytes(GuestAddress(0xFFE), count: 4) }   // crosses the end
        #expect(throws: GuestMemoryError.self) { try memory.readBytes(GuestAddress(0x2000), count: 1) }  // in the hole
        #expect(throws: GuestMemoryError.self) { try memory.readBytes(GuestAddress(UInt64.max), count: 2) }
        #expect(GuestAddress(UInt64.max).adding(1) == nil)
    }

    final class Recorder: BusDevice {
        var writes: [(UInt64, [UInt8])] = []
        func read(offset: UInt64, data: inout [UInt8]) { data = data.indices.map { UInt8(truncatingIfNeeded: offset) &+ UInt8($0) } }
        func write(offset: UInt64, data: [UInt8]) { writes.append((offset, data)) }
    }

    @Test("the bus routes by range, refuses overlaps, and answers unclaimed accesses with zeros")
    func bus() throws {
        let bus = Bus()
        let uart = Recorder()
        try bus.register(uart, at: Bus.Range(base: 0x3F8, length: 8))
        #expect(throws: Bus.Failure.self) { try bus.register(Recorder(), at: Bus.Range(base: 0x3FF, length: 2)) }
        var data = [UInt8](repeating: 0xFF, count: 1)
        bus.read(0x3FD, data: &data)
        #expect(data == [5])
        bus.write(0x3F8, data: [0x41])
        #expect(uart.writes.count == 1 && uart.writes[0].0 == 0 && uart.writes[0].1 == [0x41])
        var unclaimed = [UInt8](repeating: 0xFF, count: 2)
        bus.read(0x80, data: &unclaimed)
        #expect(unclaimed == [0, 0])
        #expect(bus.unclaimedReads == 1)
    }
}
