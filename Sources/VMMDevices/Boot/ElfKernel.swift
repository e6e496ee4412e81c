/// An x86_64 ELF vmlinux: its PT_LOAD segments go to their physical addresses, entry at e_entry.
public struct ElfKernel: Sendable {
    public struct Segment: Equatable, Sendable {
        public var fileOffset: UInt64
        public var physicalAddress: UInt64
        public var fileSize: UInt64
        public var memorySize: UInt64
    }

    static let headerSize = 64
    static let programHeaderSize = 56
    static let machineX86_64: UInt16 = 62
    static let typeExecutable: UInt16 = 2
    static let ptLoad: UInt32 = 1

    public let entry: UInt64
    public let segments: [Segment]
    private let image: [UInt8]

    public static func isELF(_ image: [UInt8]) -> Bool { image.starts(with: [0x7F, 0x45, 0x4C, 0x46]) }

    public init(image: [UInt8]) throws(BootError) {
        guard image.count >= Self.headerSize else {
            throw .imageTooSmall(kind: "ELF vmlinux", size: image.count, needed: Self.headerSize)
        }
        guard Self.isELF(image) else {
            throw .badMagic(kind: "ELF vmlinux", found: image.prefix(4).map { HexText.short($0) }.joined(separator: " "))
        }
        guard image[4] == 2 else { throw .elfUnsupported(reason: "EI_CLASS \(image[4]) is not ELFCLASS64") }
        guard image[5] == 1 else { throw .elfUnsupported(reason: "EI_DATA \(image[5]) is not little-endian") }
        let type = ByteFields.load(UInt16.self, from: image, at: 16) ?? 0
        let machine = ByteFields.load(UInt16.self, from: image, at: 18) ?? 0
        guard type == Self.typeExecutable else { throw .elfUnsupported(reason: "e_type \(type) is not ET_EXEC") }
        guard machine == Self.machineX86_64 else { throw .elfUnsupported(reason: "e_machine \(machine) is not EM_X86_64") }
        let entry = ByteFields.load(UInt64.self, from: image, at: 24) ?? 0
        let phoff = ByteFields.load(UInt64.self, from: image, at: 32) ?? 0
        let phentsize = Int(ByteFields.load(UInt16.self, from: image, at: 54) ?? 0)
        let phnum = Int(ByteFields.load(UInt16.self, from: image, at: 56) ?? 0)
        guard phentsize == Self.programHeaderSize else {
            throw .elfUnsupported(reason: "e_phentsize \(phentsize) is not \(Self.programHeaderSize)")
        }
        guard phnum > 0, phoff <= UInt64(image.count), UInt64(phnum * phentsize) <= UInt64(image.count) - phoff else {
            throw .elfUnsupported(reason: "\(phnum) program headers at \(HexText.short(phoff)) do not fit in the file")
        }
        var segments: [Segment] = []
        for index in 0..<phnum {
            let at = Int(phoff) + index * phentsize
            guard ByteFields.load(UInt32.self, from: image, at: at) == Self.ptLoad else { continue }
            let segment = Segment(fileOffset: ByteFields.load(UInt64.self, from: image, at: at + 8) ?? 0,
                                  physicalAddress: ByteFields.load(UInt64.self, from: image, at: at + 24) ?? 0,
                                  fileSize: ByteFields.load(UInt64.self, from: image, at: at + 32) ?? 0,
                                  memorySize: ByteFields.load(UInt64.self, from: image, at: at + 40) ?? 0)
            try Self.check(segment, index: index, fileSize: image.count)
            segments.append(segment)
        }
        guard !segments.isEmpty else { throw .elfUnsupported(reason: "no PT_LOAD segment") }
        guard segments.contains(where: { entry >= $0.physicalAddress && entry - $0.physicalAddress < $0.memorySize }) else {
            throw .elfUnsupported(reason: "entry point \(HexText.short(entry)) lies in no PT_LOAD segment")
        }
        self.entry = entry
        self.segments = segments
        self.image = image
    }

    private static func check(_ segment: Segment, index: Int, fileSize: Int) throws(BootError) {
        guard segment.fileOffset <= UInt64(fileSize), segment.fileSize <= UInt64(fileSize) - segment.fileOffset else {
            throw .segmentOutsideFile(index: index, offset: segment.fileOffset, size: segment.fileSize, fileSize: fileSize)
        }
        guard segment.memorySize >= segment.fileSize else {
            throw .elfUnsupported(reason: "segment \(index) has p_memsz below p_filesz")
        }
        guard segment.physicalAddress >= BootLayout.himem.value else {
            throw .segmentBelowHighMemory(index: index, address: segment.physicalAddress)
        }
        guard segment.physicalAddress.addingReportingOverflow(segment.memorySize).overflow == false else {
            throw .doesNotFitInGuestMemory(what: "ELF segment \(index)", address: segment.physicalAddress, size: segment.memorySize)
        }
    }

    /// Copies every PT_LOAD segment to p_paddr and zeroes its bss tail.
    public func load(into memory: any GuestMemory) throws(BootError) -> LoadedKernel {
        for (index, segment) in segments.enumerated() {
            let what = "ELF segment \(index)"
            let start = Int(segment.fileOffset)
            try memory.copy(image, start..<start + Int(segment.fileSize), to: GuestAddress(segment.physicalAddress), what: what)
            if segment.memorySize > segment.fileSize {
                try memory.zero(GuestAddress(segment.physicalAddress + segment.fileSize),
                                count: segment.memorySize - segment.fileSize, what: what + " bss")
            }
        }
        let low = segments.map(\.physicalAddress).min() ?? 0
        let high = segments.map { $0.physicalAddress + $0.memorySize }.max() ?? 0
        return LoadedKernel(format: .elf, entry: GuestAddress(entry), loadAddress: GuestAddress(low),
                            loadSize: high - low, reservedEnd: high)
    }
}
