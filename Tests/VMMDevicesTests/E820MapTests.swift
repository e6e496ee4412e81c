import Testing
import VMMDevices

@Suite("e820 map")
struct E820MapTests {
    @Test("512 MiB: low RAM, EBDA/ACPI reserved, RAM from 1 MiB, MMCONFIG reserved (golden bytes)")
    func small() throws {
        let map = try E820Map.standard(ramSize: 512 << 20)
        #expect(map.entries == [
            .init(address: 0, size: 0x9FC00, kind: .ram),
            .init(address: 0x9FC00, size: 0x40400, kind: .reserved),
            .init(address: 0x100000, size: (512 << 20) - 0x100000, kind: .ram),
            .init(address: 0xEEC0_0000, size: 0x1000_0000, kind: .reserved),
        ])
        #expect(map.lowRAMTop == 512 << 20)
        #expect(map.bytes.count == 4 * 20)
        try DeviceGolden.check(map.bytes, "e820-512MiB.hex")
    }

    @Test("above 3 GiB the rest of RAM continues at 4 GiB (golden bytes)")
    func split() throws {
        let map = try E820Map.standard(ramSize: 4 << 30)
        #expect(map.entries.count == 5)
        #expect(map.entries[2] == .init(address: 0x100000, size: 0xC000_0000 - 0x100000, kind: .ram))
        #expect(map.entries[4] == .init(address: 0x1_0000_0000, size: 1 << 30, kind: .ram))
        #expect(map.lowRAMTop == 0xC000_0000)
        try DeviceGolden.check(map.bytes, "e820-4GiB.hex")
        // Exactly 3 GiB: no high region.
        #expect(try E820Map.standard(ramSize: 3 << 30).entries.count == 4)
    }

    @Test("RAM regions match the map")
    func regions() {
        #expect(BootLayout.ramRegions(size: 256 << 20) == [GuestMemoryRegion(start: GuestAddress(0), size: 256 << 20)])
        #expect(BootLayout.ramRegions(size: 5 << 30) == [GuestMemoryRegion(start: GuestAddress(0), size: 3 << 30),
                                                         GuestMemoryRegion(start: GuestAddress(4 << 30), size: 2 << 30)])
    }

    @Test("too little RAM is refused")
    func tooSmall() {
        #expect(throws: BootError.ramTooSmall(size: 0x100000, minimum: 0x200000)) { try E820Map.standard(ramSize: 0x100000) }
    }

    @Test("entries encode as packed {addr u64, size u64, type u32}")
    func entryBytes() {
        let entry = E820Map.Entry(address: 0x1122_3344_5566_7788, size: 0x10, kind: .reserved)
        #expect(entry.bytes == [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x10, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0])
    }
}
