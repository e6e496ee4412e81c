/// The boot_params "zero page" (arch/x86/include/uapi/asm/bootparam.h; vmm-facts §3): all zero except the
/// setup header bytes 0x1F1..header end copied from the bzImage (never the image's first sector, whose
/// 0xFF sentinel at 0x1EF makes the kernel wipe fields) and the fields this loader owns.
public struct BootParams: Equatable, Sendable {
    public static let size = 4096

    public enum Offset {
        public static let acpiRSDPAddress = 0x070
        public static let extRamdiskImage = 0x0C0
        public static let extRamdiskSize = 0x0C4
        public static let extCmdLinePtr = 0x0C8
        public static let e820Entries = 0x1E8
        public static let sentinel = 0x1EF
        public static let e820Table = 0x2D0
    }

    /// type_of_loader 0xFF: "undefined" boot loader (no assigned id).
    public static let loaderOther: UInt8 = 0xFF
    /// The alignment an ELF kernel without a setup header is told (Firecracker's KERNEL_MIN_ALIGNMENT_BYTES).
    public static let elfKernelAlignment: UInt32 = 0x100_0000

    public private(set) var bytes: [UInt8]

    /// A zero page for `kernel`: its setup header (bzImage) or a minimal synthetic one (ELF), with
    /// type_of_loader, boot_flag, "HdrS" and code32_start set.
    public init(kernel: LoadedKernel) {
        bytes = [UInt8](repeating: 0, count: Self.size)
        if let header = kernel.setupHeader {
            bytes.replaceSubrange(SetupHeader.start..<header.end, with: header.bytes)
            ByteFields.store(UInt32(truncatingIfNeeded: kernel.loadAddress.value), into: &bytes, at: SetupHeader.Offset.code32Start)
        } else {
            ByteFields.store(Self.elfKernelAlignment, into: &bytes, at: SetupHeader.Offset.kernelAlignment)
        }
        bytes[SetupHeader.Offset.typeOfLoader] = Self.loaderOther
        ByteFields.store(SetupHeader.bootFlagValue, into: &bytes, at: SetupHeader.Offset.bootFlag)
        ByteFields.store(SetupHeader.magic, into: &bytes, at: SetupHeader.Offset.header)
    }

    /// cmd_line_ptr and cmdline_size (the bytes placed, NUL included, as Firecracker writes it).
    public mutating func setCommandLine(_ cmdline: KernelCmdline, at address: GuestAddress = BootLayout.cmdline) throws(BootError) {
        guard address.value + UInt64(cmdline.bytes.count) <= 0x1_0000_0000 else {
            throw .badField(name: "command line address", value: address.value, reason: "cmd_line_ptr is 32-bit")
        }
        ByteFields.store(UInt32(address.value), into: &bytes, at: SetupHeader.Offset.cmdLinePtr)
        ByteFields.store(UInt32(cmdline.bytes.count), into: &bytes, at: SetupHeader.Offset.cmdlineSize)
    }

    /// ramdisk_image and ramdisk_size; the initrd must lie below 4 GiB.
    public mutating func setInitrd(at address: GuestAddress, size: UInt64) throws(BootError) {
        guard address.value <= UInt64(UInt32.max), size <= UInt64(UInt32.max) - address.value else {
            throw .badField(name: "initrd address", value: address.value, reason: "ramdisk_image/ramdisk_size are 32-bit")
        }
        ByteFields.store(UInt32(address.value), into: &bytes, at: SetupHeader.Offset.ramdiskImage)
        ByteFields.store(UInt32(size), into: &bytes, at: SetupHeader.Offset.ramdiskSize)
    }

    public mutating func setE820(_ map: E820Map) throws(BootError) {
        guard map.entries.count <= E820Map.maximumEntries else {
            throw .tooManyE820Entries(count: map.entries.count, maximum: E820Map.maximumEntries)
        }
        let table = Offset.e820Table
        bytes.replaceSubrange(table..<table + E820Map.maximumEntries * E820Map.Entry.encodedSize,
                              with: [UInt8](repeating: 0, count: E820Map.maximumEntries * E820Map.Entry.encodedSize))
        bytes.replaceSubrange(table..<table + map.bytes.count, with: map.bytes)
        bytes[Offset.e820Entries] = UInt8(map.entries.count)
    }

    /// acpi_rsdp_addr (read by kernels with boot protocol ≥ 2.14; older ones scan 0xE0000–0xFFFFF).
    public mutating func setACPIRSDP(_ address: GuestAddress) {
        ByteFields.store(address.value, into: &bytes, at: Offset.acpiRSDPAddress)
    }

    public func write(to memory: any GuestMemory, at address: GuestAddress = BootLayout.zeroPage) throws(BootError) {
        try memory.copy(bytes, 0..<bytes.count, to: address, what: "boot_params")
    }
}
