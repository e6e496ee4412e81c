import Foundation
import HostTools
import Testing
import VMMDevices

/// A bzImage made of the Debian 6.1 cloud kernel's real setup header (Golden/debian-6.1-setup-header.hex)
/// and a fake payload after (setup_sects + 1) * 512 bytes.
func syntheticBzImage(payload: [UInt8] = Array(repeating: 0xCC, count: 0x3000), patch: (inout [UInt8]) -> Void = { _ in }) throws -> [UInt8] {
    var image = try DeviceGolden.load("debian-6.1-setup-header.hex")
    image += [UInt8](repeating: 0, count: 40 * 512 - image.count)
    image += payload
    patch(&image)
    return image
}

@Suite("bzImage setup header")
struct BzImageTests {
    /// The newest installed Debian cloud kernel (or VMCTL_TEST_KERNEL): no version is named here, so a kernel update
    /// from the archive does not turn this test into a skip.
    static let debianKernel = HostTools.debianCloudKernel ?? "/boot/vmlinuz-*-cloud-amd64"

    /// The values vmm-facts §0 lists for the Debian cloud kernel. `initSize` (the memory the kernel needs while it
    /// decompresses itself) follows the kernel's size, so for an installed kernel, which may be a later build of
    /// 6.1, it is checked against the header's bytes instead (nil).
    func expectDebianHeader(_ header: SetupHeader, initSize: UInt32? = 0x337_8000) {
        #expect(header.setupSects == 39)
        #expect(header.protectedModeOffset == 0x5000)
        #expect(header.bootFlag == 0xAA55)
        #expect(header.version == 0x020F)
        #expect(header.loadflags == 0x01)
        #expect(header.code32Start == 0x100000)
        #expect(header.kernelAlignment == 0x200000)
        #expect(header.relocatable)
        #expect(header.minAlignment == 21)
        #expect(header.xloadflags == 0x7F)
        #expect(header.cmdlineSize == 0x7FF)
        #expect(header.initrdAddrMax == 0x7FFF_FFFF)
        #expect(header.prefAddress == 0x100_0000)
        if let initSize { #expect(header.initSize == initSize) }
        #expect(header.end == 0x26C)
    }

    @Test("the real Debian cloud kernel's header parses to the documented values",
          .enabled(if: HostTools.debianCloudKernelMissing == nil, Comment(rawValue: HostTools.debianCloudKernelMissing ?? "")))
    func realKernel() throws {
        let image = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.debianKernel)))
        #expect(image[0x1EF] == 0xFF)  // the sentinel boot_params must not inherit
        let kernel = try BzImage(image: image)
        expectDebianHeader(kernel.header, initSize: nil)
        #expect(kernel.header.initSize == (0..<4).reduce(UInt32(0)) { $0 | UInt32(image[0x260 + $1]) << ($1 * 8) })
        #expect(kernel.header.initSize >= 16 << 20, "a 6.1 cloud kernel needs tens of MiB to decompress")
        #expect(kernel.payloadRange == 0x5000..<image.count)
        #expect(kernel.decompressionStart(loadAddress: BootLayout.himem) == 0x100_0000)
    }

    @Test("the fixture header gives the same values; the payload loads at 1 MiB with entry +0x200")
    func fixtureLoads() throws {
        let payload = (0..<0x3000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let image = try syntheticBzImage(payload: payload)
        let kernel = try BzImage(image: image)
        expectDebianHeader(kernel.header)
        let memory = ByteGuestMemory(size: 4 << 20)
        let loaded = try kernel.load(into: memory)
        #expect(loaded.entry == GuestAddress(0x100200))
        #expect(loaded.loadAddress == GuestAddress(0x100000))
        #expect(loaded.loadSize == 0x3000)
        #expect(loaded.reservedEnd == 0x100_0000 + 0x337_8000)  // 16 MiB + init_size
        #expect(try memory.readBytes(GuestAddress(0x100000), count: payload.count) == payload)
        #expect(try memory.readBytes(GuestAddress(0xFFFFF), count: 1) == [0])
        #expect(try LoadedKernel.load(image, into: memory).setupHeader == kernel.header)
    }

    @Test("a payload that does not fit in guest RAM names the part")
    func tooBigForRAM() throws {
        let image = try syntheticBzImage()
        #expect(throws: BootError.doesNotFitInGuestMemory(what: "bzImage protected-mode kernel", address: 0x100000, size: 0x3000)) {
            try BzImage(image: image).load(into: ByteGuestMemory(size: 0x100000))
        }
    }

    @Test("images the 64-bit boot protocol cannot start are refused with the field at fault")
    func validation() throws {
        #expect(throws: BootError.imageTooSmall(kind: "bzImage", size: 0x100, needed: 0x208)) {
            try BzImage(image: [UInt8](repeating: 0, count: 0x100))
        }
        #expect(throws: BootError.badMagic(kind: "bzImage setup header at 0x202 (expected \"HdrS\")", found: "0x0 0x0 0x0 0x0")) {
            try BzImage(image: [UInt8](repeating: 0, count: 0x1000))
        }
        #expect(throws: BootError.unsupportedBootProtocol(version: 0x020B, minimum: 0x020C)) {
            try BzImage(image: try syntheticBzImage { $0[0x206] = 0x0B })
        }
        #expect(throws: BootError.not64BitCapable(xloadflags: 0x7E)) {
            try BzImage(image: try syntheticBzImage { $0[0x236] = 0x7E })
        }
        #expect(throws: BootError.notLoadedHigh(loadflags: 0)) {
            try BzImage(image: try syntheticBzImage { $0[0x211] = 0 })
        }
        #expect(throws: BootError.self) { try BzImage(image: try syntheticBzImage { $0[0x1FE] = 0 }) }  // boot_flag
        #expect(throws: BootError.self) { try BzImage(image: try syntheticBzImage { $0[0x232] = 0x30 }) }  // alignment 0x300000
        #expect(throws: BootError.self) { try BzImage(image: try syntheticBzImage { $0.replaceSubrange(0x260..<0x264, with: [0, 0, 0, 0]) }) }
        #expect(throws: BootError.self) { try BzImage(image: try syntheticBzImage { $0.replaceSubrange(0x238..<0x23C, with: [0, 0, 0, 0]) }) }
        // Header complete but no protected-mode code after the setup sectors.
        #expect(throws: BootError.imageTooSmall(kind: "bzImage (setup_sects 39)", size: 0x5000, needed: 0x5001)) {
            try BzImage(image: try syntheticBzImage(payload: []))
        }
        // setup_sects 0 means 4.
        let four = try BzImage(image: try syntheticBzImage { $0[0x1F1] = 0 })
        #expect(four.header.setupSects == 4 && four.payloadRange.lowerBound == 0xA00)
    }

    @Test("error messages name the field")
    func messages() {
        #expect(BootError.not64BitCapable(xloadflags: 0x7E).description.contains("XLF_KERNEL_64"))
        #expect(BootError.unsupportedBootProtocol(version: 0x20B, minimum: 0x20C).description == "bzImage: boot protocol 0x20B is older than the required 0x20C")
    }
}
