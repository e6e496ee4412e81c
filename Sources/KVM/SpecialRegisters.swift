import CKVM

/// Segment, descriptor-table and control registers (struct kvm_sregs). Read them with
/// `VCPU.specialRegisters()`, change what you need, write them back.
public struct SpecialRegisters: Equatable, Sendable {
    public var cs = Segment(), ds = Segment(), es = Segment(), fs = Segment(), gs = Segment(), ss = Segment()
    public var tr = Segment(), ldt = Segment()
    public var gdt = DescriptorTable(base: 0, limit: 0xFFFF)
    public var idt = DescriptorTable(base: 0, limit: 0xFFFF)
    public var cr0: UInt64 = 0, cr2: UInt64 = 0, cr3: UInt64 = 0, cr4: UInt64 = 0, cr8: UInt64 = 0
    public var efer: UInt64 = 0
    public var apicBase: UInt64 = 0
    /// Pending external interrupts, one bit per vector (256 bits).
    public var interruptBitmap: [UInt64] = [0, 0, 0, 0]

    public init() {}

    /// Flat 64-bit state on a caller-built GDT and page tables (vmm-facts.md §3 step 4): CS from
    /// `gdtEntries[code / 8]`, DS/ES/FS/GS/SS from the data entry, TR from the TSS entry; GDTR/IDTR as given;
    /// CR0 |= `cr0Set`, CR4 |= `cr4Set`, EFER |= `eferSet` (KVM's reset values are kept otherwise); CR3 = root.
    public mutating func configureLongMode(gdt: DescriptorTable, gdtEntries: [UInt64], codeSelector: UInt16,
                                           dataSelector: UInt16, tssSelector: UInt16, idt: DescriptorTable,
                                           pageTableRoot: UInt64, cr0Set: UInt64, cr4Set: UInt64,
                                           eferSet: UInt64) throws(KVMError) {
        func entry(_ selector: UInt16) throws(KVMError) -> UInt64 {
            let index = Int(selector >> 3)
            guard index > 0, index < gdtEntries.count else {
                throw KVMError.invalidArgument("selector 0x\(String(selector, radix: 16)) outside a GDT of \(gdtEntries.count) entries")
            }
            return gdtEntries[index]
        }
        let data = Segment(gdtEntry: try entry(dataSelector), selector: dataSelector)
        cs = Segment(gdtEntry: try entry(codeSelector), selector: codeSelector)
        ds = data; es = data; fs = data; gs = data; ss = data
        tr = Segment(gdtEntry: try entry(tssSelector), selector: tssSelector)
        self.gdt = gdt
        self.idt = idt
        cr0 |= cr0Set
        cr4 |= cr4Set
        efer |= eferSet
        cr3 = pageTableRoot
    }

    init(_ raw: kvm_sregs) {
        cs = Segment(raw.cs); ds = Segment(raw.ds); es = Segment(raw.es); fs = Segment(raw.fs)
        gs = Segment(raw.gs); ss = Segment(raw.ss); tr = Segment(raw.tr); ldt = Segment(raw.ldt)
        gdt = DescriptorTable(base: raw.gdt.base, limit: raw.gdt.limit)
        idt = DescriptorTable(base: raw.idt.base, limit: raw.idt.limit)
        cr0 = raw.cr0; cr2 = raw.cr2; cr3 = raw.cr3; cr4 = raw.cr4; cr8 = raw.cr8
        efer = raw.efer; apicBase = raw.apic_base
        let bitmap = raw.interrupt_bitmap
        interruptBitmap = [bitmap.0, bitmap.1, bitmap.2, bitmap.3]
    }

    var raw: kvm_sregs {
        var raw = kvm_sregs()
        raw.cs = cs.raw; raw.ds = ds.raw; raw.es = es.raw; raw.fs = fs.raw
        raw.gs = gs.raw; raw.ss = ss.raw; raw.tr = tr.raw; raw.ldt = ldt.raw
        raw.gdt = kvm_dtable(base: gdt.base, limit: gdt.limit, padding: (0, 0, 0))
        raw.idt = kvm_dtable(base: idt.base, limit: idt.limit, padding: (0, 0, 0))
        raw.cr0 = cr0; raw.cr2 = cr2; raw.cr3 = cr3; raw.cr4 = cr4; raw.cr8 = cr8
        raw.efer = efer; raw.apic_base = apicBase
        let bitmap = interruptBitmap + [UInt64](repeating: 0, count: max(0, 4 - interruptBitmap.count))
        raw.interrupt_bitmap = (bitmap[0], bitmap[1], bitmap[2], bitmap[3])
        return raw
    }
}
