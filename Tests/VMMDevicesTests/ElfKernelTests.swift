import Testing
import VMMDevices

/// A minimal ELF64 x86_64 executable with the given PT_LOAD segments (offset, paddr, data, memsz).
func syntheticELF(entry: UInt64, segments: [(paddr: UInt64, data: [UInt8], memsz: UInt64)], machine: UInt16 = 62,
                  extraNote: Bool = true) -> [UInt8] {
    func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) } }
    let phnum = segments.count + (extraNote ? 1 : 0)
    var header: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0] + [UInt8](repeating: 0, count: 8)
    header += le(UInt16(2)) + le(machine) + le(UInt32(1)) + le(entry) + le(UInt64(64)) + le(UInt64(0))
    header += le(UInt32(0)) + le(UInt16(64)) + le(UInt16(56)) + le(UInt16(phnum)) + le(UInt16(64)) + le(UInt16(0)) + le(UInt16(0))
    var dataOffset = UInt64(64 + 56 * phnum)
    var programHeaders: [UInt8] = []
    var body: [UInt8] = []
    if extraNote {  // a PT_NOTE, which the loader skips
        programHeaders += le(UInt32(4)) + le(UInt32(4)) + [UInt8](repeating: 0, count: 48)
    }
    for segment in segments {
        programHeaders += le(UInt32(1)) + le(UInt32(7)) + le(dataOffset) + le(segment.paddr | 0xFFFF_FFFF_8000_0000)
        programHeaders += le(segment.paddr) + le(UInt64(segment.data.count)) + le(segment.memsz) + le(UInt64(0x200000))
        body += segment.data
        dataOffset += UInt64(segment.data.count)
    }
    return header + programHeaders + body
}

@Suite("ELF vmlinux loader")
struct ElfKernelTests {
    @Test("PT_LOAD segments go to p_paddr, bss is zeroed, entry is e_entry")
    func loads() throws {
        let text: [UInt8] = Array(1...200)
        let data: [UInt8] = [0xAA, 0xBB]
        let image = syntheticELF(entry: 0x100_0000, segments: [(0x100_0000, text, 200), (0x100_2000, data, 0x1000)])
        let memory = ByteGuestMemory(size: 32 << 20)
        try memory.writeBytes(GuestAddress(0x100_2002), [9, 9, 9])  // must be cleared as bss
        let loaded = try LoadedKernel.load(image, into: memory)
        #expect(loaded.format == .elf)
        #expect(loaded.entry == GuestAddress(0x100_0000))
        #expect(loaded.loadAddress == GuestAddress(0x100_0000))
        #expect(loaded.reservedEnd == 0x100_3000)
        #expect(try memory.readBytes(GuestAddress(0x100_0000), count: 200) == text)
        #expect(try memory.readBytes(GuestAddress(0x100_2000), count: 5) == [0xAA, 0xBB, 0, 0, 0])
        let elf = try ElfKernel(image: image)
        #expect(elf.segments.count == 2)
    }

    @Test("bad ELF files are refused, naming what is wrong")
    func validation() throws {
        let good = syntheticELF(entry: 0x100_0000, segments: [(0x100_0000, [1, 2, 3], 3)])
        var wrongMachine = good
        wrongMachine[18] = 40
        #expect(throws: BootError.elfUnsupported(reason: "e_machine 40 is not EM_X86_64")) { try ElfKernel(image: wrongMachine) }
        var class32 = good
        class32[4] = 1
        #expect(throws: BootError.elfUnsupported(reason: "EI_CLASS 1 is not ELFCLASS64")) { try ElfKernel(image: class32) }
        #expect(throws: BootError.elfUnsupported(reason: "entry point 0x2000000 lies in no PT_LOAD segment")) {
            try ElfKernel(image: syntheticELF(entry: 0x200_0000, segments: [(0x100_0000, [1, 2, 3], 3)]))
        }
        #expect(throws: BootError.segmentBelowHighMemory(index: 1, address: 0x8000)) {
            try ElfKernel(image: syntheticELF(entry: 0x8000, segments: [(0x8000, [1], 1)]))
        }
        #expect(throws: BootError.elfUnsupported(reason: "segment 1 has p_memsz below p_filesz")) {
            try ElfKernel(image: syntheticELF(entry: 0x100_0000, segments: [(0x100_0000, [1, 2, 3], 2)]))
        }
        var truncated = good
        truncated.removeLast(2)
        #expect(throws: BootError.segmentOutsideFile(index: 1, offset: 176, size: 3, fileSize: truncated.count)) { try ElfKernel(image: truncated) }
        #expect(throws: BootError.imageTooSmall(kind: "ELF vmlinux", size: 10, needed: 64)) { try ElfKernel(image: Array(good.prefix(10))) }
        // Segments beyond guest RAM.
        #expect(throws: BootError.doesNotFitInGuestMemory(what: "ELF segment 0", address: 0x100_0000, size: 3)) {
            try ElfKernel(image: good).load(into: ByteGuestMemory(size: 0x100_0000))
        }
    }
}
