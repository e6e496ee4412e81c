/// The BIOS e820 memory map handed to the kernel in boot_params.
public struct E820Map: Equatable, Sendable {
    public enum Kind: UInt32, Sendable {
        case ram = 1
        case reserved = 2
        case acpi = 3
        case nvs = 4
        case unusable = 5
    }

    public struct Entry: Equatable, Sendable {
        public var address: UInt64
        public var size: UInt64
        public var kind: Kind

        public init(address: UInt64, size: UInt64, kind: Kind) {
            self.address = address
            self.size = size
            self.kind = kind
        }

        public var end: UInt64 { address + size }
        static let encodedSize = 20

        /// The packed 20-byte boot_e820_entry {addr u64, size u64, type u32}.
        public var bytes: [UInt8] {
            var out: [UInt8] = []
            ByteFields.append(address, to: &out)
            ByteFields.append(size, to: &out)
            ByteFields.append(kind.rawValue, to: &out)
            return out
        }
    }

    /// boot_params holds at most this many entries (E820_MAX_ENTRIES_ZEROPAGE).
    public static let maximumEntries = 128
    /// The smallest RAM the standard map describes: low memory and at least some RAM above 1 MiB.
    public static let minimumRAM: UInt64 = 0x20_0000

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// The map for `ramSize` bytes of RAM laid out as `BootLayout.ramRegions` (vmm-facts §2), in address
    /// order: [0, 0x9FC00) RAM; [0x9FC00, 0xE0000) reserved (EBDA, ACPI tables); [1 MiB, low end) RAM;
    /// PCI MMCONFIG reserved; RAM above 3 GiB continues at 4 GiB. 0xE0000–0xFFFFF stays undescribed
    /// (Linux reserves 640 KiB–1 MiB itself).
    public static func standard(ramSize: UInt64) throws(BootError) -> E820Map {
        guard ramSize >= minimumRAM else { throw .ramTooSmall(size: ramSize, minimum: minimumRAM) }
        let lowEnd = min(ramSize, BootLayout.mmioGapStart)
        var entries = [
            Entry(address: 0, size: BootLayout.lowRAMEnd, kind: .ram),
            Entry(address: BootLayout.systemMemoryStart,
                  size: BootLayout.systemMemoryEnd - BootLayout.systemMemoryStart, kind: .reserved),
            Entry(address: BootLayout.himem.value, size: lowEnd - BootLayout.himem.value, kind: .ram),
            Entry(address: BootLayout.pciMMConfigStart, size: BootLayout.pciMMConfigSize, kind: .reserved),
        ]
        if ramSize > lowEnd {
            entries.append(Entry(address: BootLayout.mmioGapEnd, size: ramSize - lowEnd, kind: .ram))
        }
        return E820Map(entries: entries)
    }

    /// The highest address + 1 of RAM below the MMIO gap (where the initrd goes).
    public var lowRAMTop: UInt64 {
        entries.filter { $0.kind == .ram && $0.end <= BootLayout.mmioGapStart }.map(\.end).max() ?? 0
    }

    /// The entries packed back to back, as boot_params.e820_table wants them.
    public var bytes: [UInt8] { entries.flatMap(\.bytes) }
}
