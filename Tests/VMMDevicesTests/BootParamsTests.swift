import Testing
import VMMDevices

@Suite("boot_params zero page")
struct BootParamsTests {
    func le(_ bytes: [UInt8], _ offset: Int, _ width: Int) -> UInt64 {
        (0..<width).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[offset + $1]) }
    }

    /// The Debian header, 256 MiB, an initrd of 0x123456 bytes, the RSDP at 0xE0000.
    func debianParams() throws -> (BootParams, KernelCmdline, GuestAddress) {
        let kernel = try BzImage(image: try syntheticBzImage()).load(into: ByteGuestMemory(size: 4 << 20))
        var params = BootParams(kernel: kernel)
        let cmdline = try KernelCmdline("console=ttyS0 reboot=k panic=1 pci=off")
        try params.setCommandLine(cmdline)
        let e820 = try E820Map.standard(ramSize: 256 << 20)
        let initrd = try InitrdPlacement.address(size: 0x123456, lowRAMTop: e820.lowRAMTop, kernel: kernel)
        try params.setInitrd(at: initrd, size: 0x123456)
        try params.setE820(e820)
        params.setACPIRSDP(BootLayout.rsdp)
        return (params, cmdline, initrd)
    }

    @Test("bzImage: zeroed page, header 0x1F1..0x26C copied, loader fields set (golden bytes)")
    func golden() throws {
        let (params, cmdline, initrd) = try debianParams()
        let bytes = params.bytes
        #expect(bytes.count == 4096)
        #expect(bytes[0x1EF] == 0)  // the image's 0xFF sentinel is not copied
        #expect(bytes[0..<0x1E8].allSatisfy { $0 == 0 } == false)  // acpi_rsdp_addr at 0x70
        #expect(le(bytes, 0x070, 8) == 0xE0000)
        #expect(bytes[0x1E8] == 4)  // e820_entries
        #expect(bytes[0x1F1] == 39)  // setup_sects, from the image
        #expect(le(bytes, 0x1FA, 2) == 0xFFFF)  // vid_mode, from the image
        #expect(le(bytes, 0x1FE, 2) == 0xAA55)
        #expect(le(bytes, 0x202, 4) == 0x5372_6448)
        #expect(le(bytes, 0x206, 2) == 0x020F)
        #expect(bytes[0x210] == 0xFF)  // type_of_loader
        #expect(bytes[0x211] == 0x01)  // loadflags, from the image
        #expect(le(bytes, 0x214, 4) == 0x100000)  // code32_start
        #expect(le(bytes, 0x218, 4) == initrd.value)
        #expect(le(bytes, 0x21C, 4) == 0x123456)
        #expect(le(bytes, 0x228, 4) == 0x20000)  // cmd_line_ptr
        #expect(le(bytes, 0x238, 4) == UInt64(cmdline.bytes.count))
        #expect(le(bytes, 0x260, 4) == 0x337_8000)  // init_size, from the image
        #expect(bytes[0x26C..<0x2D0].allSatisfy { $0 == 0 })  // nothing past the header end
        #expect(le(bytes, 0x2D0 + 20 * 2, 8) == 0x100000)  // third e820 entry
        #expect(bytes[(0x2D0 + 4 * 20)...].allSatisfy { $0 == 0 })
        try DeviceGolden.check(bytes, "boot_params-debian-256MiB.hex")
    }

    @Test("ELF: a synthetic header (boot_flag, HdrS, loader, kernel_alignment 16 MiB)")
    func elf() throws {
        let image = syntheticELF(entry: 0x100_0000, segments: [(0x100_0000, [1, 2, 3], 3)])
        let kernel = try LoadedKernel.load(image, into: ByteGuestMemory(size: 32 << 20))
        let bytes = BootParams(kernel: kernel).bytes
        #expect(le(bytes, 0x1FE, 2) == 0xAA55)
        #expect(le(bytes, 0x202, 4) == 0x5372_6448)
        #expect(bytes[0x210] == 0xFF)
        #expect(le(bytes, 0x230, 4) == 0x100_0000)
        #expect(bytes.enumerated().filter { $0.element != 0 }.count == 2 + 4 + 1 + 1)
    }

    @Test("32-bit fields refuse addresses above 4 GiB; more than 128 e820 entries are refused")
    func limits() throws {
        let kernel = try BzImage(image: try syntheticBzImage()).load(into: ByteGuestMemory(size: 4 << 20))
        var params = BootParams(kernel: kernel)
        #expect(throws: BootError.self) { try params.setInitrd(at: GuestAddress(0xFFFF_F000), size: 0x2000) }
        #expect(throws: BootError.self) { try params.setCommandLine(KernelCmdline(), at: GuestAddress(1 << 32)) }
        let many = E820Map(entries: Array(repeating: .init(address: 0, size: 1, kind: .ram), count: 129))
        #expect(throws: BootError.tooManyE820Entries(count: 129, maximum: 128)) { try params.setE820(many) }
    }

    @Test("LinuxBoot writes kernel, command line, initrd and boot_params into guest memory")
    func linuxBoot() throws {
        let memory = ByteGuestMemory(size: 128 << 20)
        let initrd = [UInt8](repeating: 0x5A, count: 0x2345)
        let cmdline = try KernelCmdline("console=ttyS0")
        let boot = try LinuxBoot(kernelImage: try syntheticBzImage(), initrdImage: initrd, cmdline: cmdline,
                                 ramSize: 128 << 20, rsdp: BootLayout.rsdp, memory: memory)
        #expect(boot.entry == GuestAddress(0x100200))
        #expect(boot.zeroPage == GuestAddress(0x7000))
        let placed = try #require(boot.initrd)
        #expect(placed.address == GuestAddress(((128 << 20) - 0x2345) & ~0xFFF))
        #expect(try memory.readBytes(placed.address, count: initrd.count) == initrd)
        #expect(try memory.readBytes(GuestAddress(0x20000), count: 14) == cmdline.bytes)
        #expect(try memory.readInteger(GuestAddress(0x7000 + 0x218), as: UInt32.self) == UInt32(placed.address.value))
        #expect(try memory.readInteger(GuestAddress(0x7000 + 0x202), as: UInt32.self) == 0x5372_6448)
        // A command line longer than the kernel's cmdline_size is refused.
        var long = KernelCmdline(capacity: 4000)
        try long.append(raw: String(repeating: "y", count: 2100))
        #expect(throws: BootError.cmdlineTooLong(length: 2100, maximum: 0x7FF)) {
            try LinuxBoot(kernelImage: try syntheticBzImage(), initrdImage: nil, cmdline: long, ramSize: 128 << 20, rsdp: nil, memory: memory)
        }
    }
}
