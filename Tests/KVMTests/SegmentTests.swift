import KVM
import Testing
import VMMDevices

@Suite("Segment decoding and long-mode sregs (no /dev/kvm needed)")
struct SegmentTests {
    @Test("LongModeSetup's GDT decodes to Firecracker's segments: 64-bit code, flat data, busy TSS")
    func longModeGDT() throws {
        let code = Segment(gdtEntry: LongModeSetup.gdt[1], selector: 0x08)
        #expect(code.base == 0 && code.limit == 0xFFFF_FFFF && code.type == 0xB)
        #expect(code.l && !code.db && code.s && code.g && code.present && code.dpl == 0 && !code.unusable)
        let data = Segment(gdtEntry: LongModeSetup.gdt[2], selector: 0x10)
        #expect(data.type == 3 && data.db && !data.l && data.s && data.g && data.limit == 0xFFFF_FFFF)
        let tss = Segment(gdtEntry: LongModeSetup.gdt[3], selector: 0x18)
        #expect(tss.type == 0xB && !tss.s && tss.present && tss.g)
        #expect(Segment(gdtEntry: 0, selector: 0).unusable)
    }

    @Test("an arbitrary descriptor: base and byte-granular limit are reassembled from their split fields")
    func splitFields() {
        let entry = GDT.entry(flags: 0x4093, base: 0x1234_5678, limit: 0xABCDE)
        let segment = Segment(gdtEntry: entry, selector: 0x2B)
        #expect(segment.base == 0x1234_5678 && segment.limit == 0xABCDE && !segment.g && segment.db)
        #expect(segment.selector == 0x2B && segment.dpl == 0 && segment.type == 3)
    }

    @Test("configureLongMode sets segments, tables, CR3 and ORs the control bits; a selector outside the GDT throws")
    func configure() throws {
        var special = SpecialRegisters()
        special.cr0 = 0x6000_0010
        try special.configureLongMode(
            gdt: DescriptorTable(base: 0x500, limit: 31), gdtEntries: LongModeSetup.gdt, codeSelector: 0x08,
            dataSelector: 0x10, tssSelector: 0x18, idt: DescriptorTable(base: 0x520, limit: 7), pageTableRoot: 0x9000,
            cr0Set: LongModeSetup.cr0Set, cr4Set: LongModeSetup.cr4Set, eferSet: LongModeSetup.eferSet)
        #expect(special.cr0 == 0xE000_0011 && special.cr4 == 0x20 && special.efer == 0x500 && special.cr3 == 0x9000)
        #expect(special.cs.l && special.ss.selector == 0x10 && special.gs == special.ds && special.tr.selector == 0x18)
        #expect(throws: KVMError.self) {
            try special.configureLongMode(gdt: DescriptorTable(base: 0x500, limit: 31), gdtEntries: LongModeSetup.gdt,
                                          codeSelector: 0x20, dataSelector: 0x10, tssSelector: 0x18,
                                          idt: DescriptorTable(base: 0x520, limit: 7), pageTableRoot: 0x9000,
                                          cr0Set: 0, cr4Set: 0, eferSet: 0)
        }
    }
}
