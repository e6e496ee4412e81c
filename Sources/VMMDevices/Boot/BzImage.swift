/// A bzImage checked against what the 64-bit boot protocol needs (boot.rst; vmm-facts §3).
public struct BzImage: Sendable {
    /// 2.12 introduced xloadflags, which is how a kernel says it has a 64-bit entry point.
    public static let minimumVersion: UInt16 = 0x020C
    /// The 64-bit entry point is 0x200 bytes into the protected-mode code.
    public static let entryOffset: UInt64 = 0x200

    public let header: SetupHeader
    /// The protected-mode kernel: file bytes from (setup_sects + 1) * 512 to the end.
    public let payloadRange: Range<Int>
    private let image: [UInt8]

    public init(image: [UInt8]) throws(BootError) {
        let header = try SetupHeader(image: image)
        guard header.bootFlag == SetupHeader.bootFlagValue else {
            throw .badField(name: "bzImage boot_flag (0x1FE)", value: UInt64(header.bootFlag), reason: "expected 0xAA55")
        }
        guard header.version >= Self.minimumVersion else {
            throw .unsupportedBootProtocol(version: header.version, minimum: Self.minimumVersion)
        }
        guard header.loadflags & SetupHeader.loadedHigh != 0 else { throw .notLoadedHigh(loadflags: header.loadflags) }
        guard header.xloadflags & SetupHeader.xlfKernel64 != 0 else { throw .not64BitCapable(xloadflags: header.xloadflags) }
        let alignment = header.kernelAlignment
        guard alignment != 0, alignment & (alignment - 1) == 0 else {
            throw .badField(name: "bzImage kernel_alignment (0x230)", value: UInt64(alignment), reason: "not a power of two")
        }
        guard header.initSize != 0 else {
            throw .badField(name: "bzImage init_size (0x260)", value: 0, reason: "the kernel must say how much memory it needs")
        }
        guard header.cmdlineSize != 0 else {
            throw .badField(name: "bzImage cmdline_size (0x238)", value: 0, reason: "the kernel takes no command line")
        }
        guard header.protectedModeOffset < image.count else {
            throw .imageTooSmall(kind: "bzImage (setup_sects \(header.setupSects))", size: image.count, needed: header.protectedModeOffset + 1)
        }
        self.header = header
        self.payloadRange = header.protectedModeOffset..<image.count
        self.image = image
    }

    /// Where the decompressor starts working: the load address rounded up to kernel_alignment, but no lower
    /// than the kernel's preferred address (LOAD_PHYSICAL_ADDR, 16 MiB for Debian) — head_64.S.
    public func decompressionStart(loadAddress: GuestAddress) -> UInt64 {
        let alignment = UInt64(header.kernelAlignment)
        let aligned = (loadAddress.value + alignment - 1) & ~(alignment - 1)
        let preferred = header.prefAddress != 0 ? header.prefAddress : BootLayout.kernelMinimumLoad
        return max(aligned, preferred)
    }

    /// Copies the protected-mode kernel to `address` (HIMEM_START by default).
    public func load(into memory: any GuestMemory, at address: GuestAddress = BootLayout.himem) throws(BootError) -> LoadedKernel {
        guard address >= BootLayout.himem else {
            throw .badField(name: "bzImage load address", value: address.value, reason: "below 1 MiB")
        }
        try memory.copy(image, payloadRange, to: address, what: "bzImage protected-mode kernel")
        let size = UInt64(payloadRange.count)
        let windowEnd = decompressionStart(loadAddress: address) + UInt64(header.initSize)
        return LoadedKernel(format: .bzImage(header), entry: GuestAddress(address.value + Self.entryOffset),
                            loadAddress: address, loadSize: size, reservedEnd: max(windowEnd, address.value + size))
    }
}
