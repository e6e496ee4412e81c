/// Fixed guest-physical addresses of the x86_64 boot layout (vmm-facts §2, after Firecracker's
/// arch/x86_64/layout.rs). The CPU set-up (GDT, IDT, page tables at 0x500–0xBFFF) lives elsewhere.
public enum BootLayout {
    /// The boot_params "zero page"; RSI points here at the 64-bit entry.
    public static let zeroPage = GuestAddress(0x7000)
    /// The kernel command line (NUL-terminated).
    public static let cmdline = GuestAddress(0x20000)
    /// Room reserved for the command line, NUL included.
    public static let cmdlineCapacity = 0x10000
    /// End of conventional low RAM described as e820 RAM; the rest up to 1 MiB is reserved or undescribed.
    public static let lowRAMEnd: UInt64 = 0x9FC00
    /// "System memory" (EBDA and BIOS area), e820-reserved: ACPI tables are placed here first-fit.
    public static let systemMemoryStart: UInt64 = 0x9FC00
    public static let systemMemoryEnd: UInt64 = 0xE0000
    /// The RSDP, inside the BIOS area the kernel scans (0xE0000–0xFFFFF).
    public static let rsdp = GuestAddress(0xE0000)
    /// HIMEM_START: where a bzImage's protected-mode code is loaded (its code32_start).
    public static let himem = GuestAddress(0x100000)
    /// Start of the 32-bit MMIO gap (the last GiB below 4 GiB); RAM beyond it continues at 4 GiB.
    public static let mmioGapStart: UInt64 = 0xC000_0000
    public static let mmioGapEnd: UInt64 = 0x1_0000_0000
    /// virtio-mmio windows: 0x1000 bytes each, allocated upward from here.
    public static let virtioMMIOStart: UInt64 = 0xC000_1000
    public static let virtioMMIOWindow: UInt64 = 0x1000
    /// PCI MMCONFIG (256 MiB below the IOAPIC); e820-reserved even without PCI, as Firecracker does.
    public static let pciMMConfigStart: UInt64 = 0xEEC0_0000
    public static let pciMMConfigSize: UInt64 = 0x1000_0000
    public static let ioapic: UInt64 = 0xFEC0_0000
    public static let localAPIC: UInt64 = 0xFEE0_0000
    /// Linux's LOAD_PHYSICAL_ADDR default: a relocatable kernel decompresses here at the lowest.
    public static let kernelMinimumLoad: UInt64 = 0x100_0000

    /// Guest RAM regions for `size` bytes: [0, min(size, 3 GiB)), the remainder from 4 GiB.
    public static func ramRegions(size: UInt64) -> [GuestMemoryRegion] {
        let low = min(size, mmioGapStart)
        var regions = [GuestMemoryRegion(start: GuestAddress(0), size: low)]
        if size > low { regions.append(GuestMemoryRegion(start: GuestAddress(mmioGapEnd), size: size - low)) }
        return regions
    }
}
