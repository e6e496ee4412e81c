/// 4-level x86-64 page tables for the boot identity map (vmm-facts.md §2): one PML4 entry → one PDPT entry →
/// a page directory of 512 2 MiB pages, i.e. guest-virtual == guest-physical for [0, 1 GiB).
public enum PageTables {
    public static let present: UInt64 = 1 << 0
    public static let writable: UInt64 = 1 << 1
    public static let pageSize2MiB: UInt64 = 1 << 7
    public static let largePageSize: UInt64 = 2 << 20
    public static let entriesPerTable = 512

    /// Bytes covered by `identityMap`: 512 × 2 MiB.
    public static let identityMappedSize: UInt64 = UInt64(entriesPerTable) * largePageSize

    /// Writes PML4[0] = pdpt|P|W, PDPT[0] = pd|P|W, PD[i] = i·2 MiB|P|W|PS for i in 0..<512. The three 4 KiB
    /// tables must lie in guest RAM; the rest of each table is zeroed.
    public static func writeIdentityMap(pml4: GuestAddress, pdpt: GuestAddress, pd: GuestAddress,
                                        into memory: any GuestMemory) throws(GuestMemoryError) {
        try writeTable(at: pml4, entries: [pdpt.value | present | writable], into: memory)
        try writeTable(at: pdpt, entries: [pd.value | present | writable], into: memory)
        let directory = (0..<UInt64(entriesPerTable)).map { ($0 * largePageSize) | present | writable | pageSize2MiB }
        try writeTable(at: pd, entries: directory, into: memory)
    }

    private static func writeTable(at address: GuestAddress, entries: [UInt64], into memory: any GuestMemory) throws(GuestMemoryError) {
        var table = [UInt8](repeating: 0, count: entriesPerTable * 8)
        for (index, entry) in entries.enumerated() {
            for byte in 0..<8 { table[index * 8 + byte] = UInt8(truncatingIfNeeded: entry >> UInt64(byte * 8)) }
        }
        try memory.writeBytes(address, table)
    }
}
