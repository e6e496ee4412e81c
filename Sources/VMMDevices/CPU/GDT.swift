/// x86 segment descriptors as they sit in a GDT: pure bit layout, no CPU state.
/// Layout (Intel SDM vol. 3, 3.4.5): limit 15:0 · base 23:0 · access byte (type, S, DPL, P) at 47:40 ·
/// limit 19:16 at 51:48 · flags (AVL, L, D/B, G) at 55:52 · base 31:24 at 63:56.
public enum GDT {
    /// Encodes one 8-byte descriptor. `flags` packs the access byte in bits 7:0 and the AVL/L/D-B/G nibble in
    /// bits 15:12 (Firecracker's and Linux's GDT_ENTRY convention: 0xA09B = 64-bit code, 0xC093 = flat data).
    public static func entry(flags: UInt16, base: UInt32, limit: UInt32) -> UInt64 {
        let base = UInt64(base)
        let limit = UInt64(limit)
        let flags = UInt64(flags)
        return ((base & 0xFF00_0000) << 32)
            | ((flags & 0xF0FF) << 40)
            | ((limit & 0x000F_0000) << 32)
            | ((base & 0x00FF_FFFF) << 16)
            | (limit & 0x0000_FFFF)
    }

    /// Writes `entries` as a table at `address` (8 bytes each, little-endian).
    public static func write(_ entries: [UInt64], at address: GuestAddress, into memory: any GuestMemory) throws(GuestMemoryError) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(entries.count * 8)
        for entry in entries {
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: entry >> UInt64(shift))) }
        }
        try memory.writeBytes(address, bytes)
    }

    /// The table limit the GDTR/IDTR holds for `count` descriptors: size in bytes minus one.
    public static func limit(forEntries count: Int) -> UInt16 { UInt16(count * 8 - 1) }
}
