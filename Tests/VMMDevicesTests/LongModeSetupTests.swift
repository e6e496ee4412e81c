import Testing
import VMMDevices

@Suite("Long-mode boot data: GDT, page tables")
struct LongModeSetupTests {
    @Test("GDT entries match Firecracker's values")
    func gdt() {
        #expect(LongModeSetup.gdt == [0, 0x00AF_9B00_0000_FFFF, 0x00CF_9300_0000_FFFF, 0x008F_8B00_0000_FFFF])
        #expect(LongModeSetup.gdtLimit == 31)
        #expect(GDT.entry(flags: 0x4093, base: 0x1234_5678, limit: 0xABCDE) == 0x124A_9334_5678_BCDE)
    }

    @Test("write(into:) lays out GDT at 0x500, a zero IDT entry at 0x520, and a 1 GiB identity map at 0x9000/0xA000/0xB000")
    func layout() throws {
        let memory = ByteGuestMemory(size: 1 << 20)
        try memory.writeBytes(GuestAddress(0x520), [UInt8](repeating: 0xEE, count: 8))
        try memory.writeBytes(GuestAddress(0x9000), [UInt8](repeating: 0xEE, count: 0x3000))
        try LongModeSetup.write(into: memory)
        #expect(try memory.readInteger(GuestAddress(0x508), as: UInt64.self) == 0x00AF_9B00_0000_FFFF)
        #expect(try memory.readInteger(GuestAddress(0x518), as: UInt64.self) == 0x008F_8B00_0000_FFFF)
        #expect(try memory.readInteger(GuestAddress(0x520), as: UInt64.self) == 0)
        #expect(try memory.readInteger(GuestAddress(0x9000), as: UInt64.self) == 0xA003)
        #expect(try memory.readInteger(GuestAddress(0x9008), as: UInt64.self) == 0)        // rest zeroed
        #expect(try memory.readInteger(GuestAddress(0xA000), as: UInt64.self) == 0xB003)
        #expect(try memory.readInteger(GuestAddress(0xB000), as: UInt64.self) == 0x83)
        #expect(try memory.readInteger(GuestAddress(0xB008), as: UInt64.self) == 0x20_0083)
        #expect(try memory.readInteger(GuestAddress(0xBFF8), as: UInt64.self) == (511 << 21) | 0x83)
        #expect(PageTables.identityMappedSize == 1 << 30)
        #expect(LongModeSetup.cr3 == 0x9000 && LongModeSetup.eferSet == 0x500 && LongModeSetup.cr4Set == 0x20)
        #expect(LongModeSetup.cr0Set == 0x8000_0001)
    }

    @Test("tables outside guest memory are an error, not a crash")
    func outOfBounds() {
        #expect(throws: GuestMemoryError.self) { try LongModeSetup.write(into: ByteGuestMemory(size: 0x1000)) }
    }
}
