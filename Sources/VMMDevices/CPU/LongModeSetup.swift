/// Where the boot CPU state lives in guest RAM and what the vCPU's special registers must hold to start in
/// 64-bit mode (vmm-facts.md §2 and §3 step 4, Firecracker's values). Pure data: the VMM writes the tables
/// with `write(into:)` and hands the numbers to the KVM layer (`SpecialRegisters.configureLongMode`).
public enum LongModeSetup {
    public static let gdtAddress = GuestAddress(0x500)
    public static let idtAddress = GuestAddress(0x520)
    public static let pml4Address = GuestAddress(0x9000)
    public static let pdptAddress = GuestAddress(0xA000)
    public static let pdAddress = GuestAddress(0xB000)
    /// Initial RSP/RBP.
    public static let stackPointer: UInt64 = 0x8FF0

    public static let codeSelector: UInt16 = 0x08
    public static let dataSelector: UInt16 = 0x10
    public static let tssSelector: UInt16 = 0x18

    /// null · 64-bit code (G, L, P, type 0xB) · flat data (G, D/B, P, type 3) · busy 64-bit TSS (type 0xB).
    public static let gdt: [UInt64] = [
        0,
        GDT.entry(flags: 0xA09B, base: 0, limit: 0xFFFFF),
        GDT.entry(flags: 0xC093, base: 0, limit: 0xFFFFF),
        GDT.entry(flags: 0x808B, base: 0, limit: 0xFFFFF),
    ]
    public static var gdtLimit: UInt16 { GDT.limit(forEntries: gdt.count) }
    /// One zero (not-present) gate: any exception before the kernel loads its own IDT escalates to a
    /// triple fault, which the VMM sees as a shutdown exit.
    public static let idtLimit: UInt16 = 7

    /// Bits to set on top of KVM's reset values.
    public static let cr0Set: UInt64 = ControlBits.cr0ProtectionEnable | ControlBits.cr0Paging
    public static let cr4Set: UInt64 = ControlBits.cr4PhysicalAddressExtension
    public static let eferSet: UInt64 = ControlBits.eferLongModeEnable | ControlBits.eferLongModeActive
    public static var cr3: UInt64 { pml4Address.value }

    /// Writes the GDT, the one-entry IDT and the identity-mapping page tables (first 1 GiB).
    public static func write(into memory: any GuestMemory) throws(GuestMemoryError) {
        try GDT.write(gdt, at: gdtAddress, into: memory)
        try GDT.write([0], at: idtAddress, into: memory)
        try PageTables.writeIdentityMap(pml4: pml4Address, pdpt: pdptAddress, pd: pdAddress, into: memory)
    }
}
