import Testing
import VMMDevices

@Suite("initrd placement")
struct InitrdPlacementTests {
    func bzKernel(_ patch: @escaping (inout [UInt8]) -> Void = { _ in }) throws -> LoadedKernel {
        try BzImage(image: try syntheticBzImage(patch: patch)).load(into: ByteGuestMemory(size: 4 << 20))
    }

    @Test("top of low RAM, 4 KiB aligned")
    func top() throws {
        let kernel = try bzKernel()
        let address = try InitrdPlacement.address(size: 0x12345, lowRAMTop: 256 << 20, kernel: kernel)
        #expect(address == GuestAddress(((256 << 20) - 0x12345) & ~0xFFF))
        #expect(address.value + 0x12345 <= 256 << 20)
    }

    @Test("never above initrd_addr_max, nor above 4 GiB")
    func addrMax() throws {
        // Debian allows up to 0x7FFFFFFF; 3 GiB of low RAM must not be used beyond it.
        let kernel = try bzKernel()
        let address = try InitrdPlacement.address(size: 0x1000, lowRAMTop: 0xC000_0000, kernel: kernel)
        #expect(address == GuestAddress(0x8000_0000 - 0x1000))
        // A kernel limited to 0x37FFFFFF (protocol 2.02 default).
        let limited = try bzKernel { $0.replaceSubrange(0x22C..<0x230, with: [0xFF, 0xFF, 0xFF, 0x37]) }
        #expect(try InitrdPlacement.address(size: 0x800, lowRAMTop: 0xC000_0000, kernel: limited) == GuestAddress(0x3800_0000 - 0x1000))
    }

    @Test("refuses to overlap the kernel's decompression window (16 MiB + init_size)")
    func clearOfKernel() throws {
        let kernel = try bzKernel()
        #expect(kernel.reservedEnd == 0x437_8000)
        // 80 MiB of RAM leaves 0x5000000 - 0x4378000 = 0xC88000 bytes above the window.
        #expect(try InitrdPlacement.address(size: 0xC88000, lowRAMTop: 80 << 20, kernel: kernel) == GuestAddress(0x437_8000))
        #expect(throws: BootError.self) { try InitrdPlacement.address(size: 0xC88001, lowRAMTop: 80 << 20, kernel: kernel) }
        #expect(throws: BootError.initrdDoesNotFit(size: 0, reason: "the initrd is empty")) {
            try InitrdPlacement.address(size: 0, lowRAMTop: 80 << 20, kernel: kernel)
        }
        #expect(throws: BootError.self) { try InitrdPlacement.address(size: 1 << 30, lowRAMTop: 80 << 20, kernel: kernel) }
    }
}
