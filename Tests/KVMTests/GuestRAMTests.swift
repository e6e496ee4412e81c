import KVM
import Testing
import VMMDevices

@Suite("GuestRAM (no /dev/kvm needed)")
struct GuestRAMTests {
    @Test("two regions around the 32-bit hole: reads and writes inside each, bounds errors outside and across")
    func regions() throws {
        let ram = try GuestRAM(regions: [GuestMemoryRegion(start: GuestAddress(1 << 32), size: 2 << 20),
                                         GuestMemoryRegion(start: GuestAddress(0), size: 1 << 20)])
        #expect(ram.regions.map(\.start) == [GuestAddress(0), GuestAddress(1 << 32)])
        #expect(ram.totalSize == 3 << 20)
        try ram.writeInteger(GuestAddress(0xFFFF8), UInt64(0x1122_3344_5566_7788))
        #expect(try ram.readInteger(GuestAddress(0xFFFF8), as: UInt64.self) == 0x1122_3344_5566_7788)
        try ram.writeBytes(GuestAddress((1 << 32) + (2 << 20) - 2), [0xAB, 0xCD])
        #expect(try ram.readBytes(GuestAddress((1 << 32) + (2 << 20) - 2), count: 2) == [0xAB, 0xCD])
        #expect(try ram.readBytes(GuestAddress(1 << 32), count: 4) == [0, 0, 0, 0])   // fresh RAM is zero
        #expect(throws: GuestMemoryError.self) { try ram.readBytes(GuestAddress(0xFFFFE), count: 4) }
        #expect(throws: GuestMemoryError.self) { try ram.writeBytes(GuestAddress(0x10_0000), [1]) }
        #expect(throws: GuestMemoryError.self) { try ram.readBytes(GuestAddress(UInt64.max - 1), count: 4) }
        #expect(throws: GuestMemoryError.self) { try ram.readBytes(GuestAddress(0x2000_0000), count: 0) }
    }

    @Test("bad layouts are refused with a message")
    func invalid() {
        #expect(throws: KVMError.self) { try GuestRAM(regions: []) }
        #expect(throws: KVMError.self) { try GuestRAM(size: 1000) }
        #expect(throws: KVMError.self) { try GuestRAM(size: 0) }
        #expect(throws: KVMError.self) {
            try GuestRAM(regions: [GuestMemoryRegion(start: GuestAddress(0), size: 2 << 20),
                                   GuestMemoryRegion(start: GuestAddress(1 << 20), size: 1 << 20)])
        }
        #expect(throws: KVMError.self) { try GuestRAM(regions: [GuestMemoryRegion(start: GuestAddress(UInt64.max - 0xFFF), size: 0x2000)]) }
    }

    @Test("a large RAM is reserved, not committed (MAP_NORESERVE): 8 GiB maps at once")
    func noReserve() throws {
        let ram = try GuestRAM(size: 8 << 30)
        try ram.writeInteger(GuestAddress((8 << 30) - 8), UInt64(42))
        #expect(try ram.readInteger(GuestAddress((8 << 30) - 8), as: UInt64.self) == 42)
    }
}
