/// The Linux x86 setup header (Documentation/x86/boot.rst), at file offset 0x1F1 of a bzImage and at the
/// same offset in boot_params. Offsets below are absolute (file == boot_params).
public struct SetupHeader: Equatable, Sendable {
    public static let start = 0x1F1
    /// The end of `struct setup_header` in boot_params: whatever a newer kernel declares beyond it is not copied.
    public static let maximumEnd = 0x290
    public static let magic: UInt32 = 0x5372_6448  // "HdrS"
    public static let bootFlagValue: UInt16 = 0xAA55

    public enum Offset {
        public static let setupSects = 0x1F1
        public static let vidMode = 0x1FA
        public static let bootFlag = 0x1FE
        public static let jump = 0x200
        public static let header = 0x202
        public static let version = 0x206
        public static let typeOfLoader = 0x210
        public static let loadflags = 0x211
        public static let code32Start = 0x214
        public static let ramdiskImage = 0x218
        public static let ramdiskSize = 0x21C
        public static let cmdLinePtr = 0x228
        public static let initrdAddrMax = 0x22C
        public static let kernelAlignment = 0x230
        public static let relocatableKernel = 0x234
        public static let minAlignment = 0x235
        public static let xloadflags = 0x236
        public static let cmdlineSize = 0x238
        public static let setupData = 0x250
        public static let prefAddress = 0x258
        public static let initSize = 0x260
        public static let handoverOffset = 0x264
        public static let kernelInfoOffset = 0x268
    }

    public static let loadedHigh: UInt8 = 0x01
    public static let xlfKernel64: UInt16 = 0x01
    public static let xlfCanBeLoadedAbove4G: UInt16 = 0x02

    /// The header bytes [0x1F1, end) exactly as in the image.
    public let bytes: [UInt8]

    /// The header read from the start of a bzImage. Checks only that the bytes are there and say "HdrS";
    /// `BzImage` applies the boot-protocol requirements.
    public init(image: [UInt8]) throws(BootError) {
        guard image.count > Offset.version + 2 else {
            throw .imageTooSmall(kind: "bzImage", size: image.count, needed: Offset.version + 2)
        }
        guard let magic = ByteFields.load(UInt32.self, from: image, at: Offset.header), magic == Self.magic else {
            let found = image[Offset.header..<Offset.header + 4].map { HexText.short($0) }.joined(separator: " ")
            throw .badMagic(kind: "bzImage setup header at 0x202 (expected \"HdrS\")", found: found)
        }
        // The byte after the 2-byte jump at 0x200 is its offset: the header ends at 0x202 + that.
        let end = min(Offset.header + Int(image[Offset.jump + 1]), Self.maximumEnd)
        guard end > Offset.version + 2 else {
            throw .badField(name: "setup header end (0x202 + jump byte)", value: UInt64(end), reason: "ends before the version field")
        }
        guard image.count >= end else { throw .imageTooSmall(kind: "bzImage", size: image.count, needed: end) }
        bytes = Array(image[Self.start..<end])
    }

    /// Offset just past the header, as the image declares it (0x26C for protocol 2.15).
    public var end: Int { Self.start + bytes.count }

    func field<T: FixedWidthInteger & UnsignedInteger>(_ offset: Int, _ type: T.Type) -> T {
        ByteFields.load(type, from: bytes, at: offset - Self.start) ?? 0
    }

    /// setup_sects, with 0 meaning 4 as boot.rst says.
    public var setupSects: Int { field(Offset.setupSects, UInt8.self) == 0 ? 4 : Int(field(Offset.setupSects, UInt8.self)) }
    /// File offset of the protected-mode kernel: (setup_sects + 1) * 512.
    public var protectedModeOffset: Int { (setupSects + 1) * 512 }
    public var bootFlag: UInt16 { field(Offset.bootFlag, UInt16.self) }
    public var version: UInt16 { field(Offset.version, UInt16.self) }
    public var loadflags: UInt8 { field(Offset.loadflags, UInt8.self) }
    public var code32Start: UInt32 { field(Offset.code32Start, UInt32.self) }
    /// The highest address the initrd may occupy (0x37FFFFFF before protocol 2.03).
    public var initrdAddrMax: UInt32 { version >= 0x0203 ? field(Offset.initrdAddrMax, UInt32.self) : 0x37FF_FFFF }
    public var kernelAlignment: UInt32 { field(Offset.kernelAlignment, UInt32.self) }
    public var relocatable: Bool { field(Offset.relocatableKernel, UInt8.self) != 0 }
    public var minAlignment: UInt8 { field(Offset.minAlignment, UInt8.self) }
    public var xloadflags: UInt16 { field(Offset.xloadflags, UInt16.self) }
    /// The longest command line the kernel takes, without its NUL (255 before protocol 2.06).
    public var cmdlineSize: UInt32 { version >= 0x0206 ? field(Offset.cmdlineSize, UInt32.self) : 255 }
    public var prefAddress: UInt64 { field(Offset.prefAddress, UInt64.self) }
    /// Bytes the kernel needs from its load address until it has set up its own memory.
    public var initSize: UInt32 { field(Offset.initSize, UInt32.self) }
}
