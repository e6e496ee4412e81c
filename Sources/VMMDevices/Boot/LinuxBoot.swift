/// Puts a Linux kernel, its command line, initrd and boot_params into guest memory (vmm-facts §2–§3).
/// The CPU state (page tables, GDT, registers with RIP = `entry`, RSI = `zeroPage`) is set up elsewhere.
public struct LinuxBoot: Equatable, Sendable {
    public var kernel: LoadedKernel
    public var entry: GuestAddress { kernel.entry }
    public var zeroPage: GuestAddress
    public var cmdlineAddress: GuestAddress
    public var initrd: (address: GuestAddress, size: UInt64)? {
        get { initrdAddress.map { ($0, initrdSize) } }
        set { initrdAddress = newValue?.address; initrdSize = newValue?.size ?? 0 }
    }
    public var e820: E820Map
    private var initrdAddress: GuestAddress?
    private var initrdSize: UInt64 = 0

    public static func == (a: LinuxBoot, b: LinuxBoot) -> Bool {
        a.kernel == b.kernel && a.zeroPage == b.zeroPage && a.cmdlineAddress == b.cmdlineAddress && a.e820 == b.e820
            && a.initrdAddress == b.initrdAddress && a.initrdSize == b.initrdSize
    }

    /// - Parameters:
    ///   - kernelImage: an ELF vmlinux or a bzImage.
    ///   - ramSize: guest RAM in bytes, mapped as `BootLayout.ramRegions(size:)`.
    ///   - rsdp: where the ACPI tables' RSDP was placed, if any.
    public init(kernelImage: [UInt8], initrdImage: [UInt8]?, cmdline: KernelCmdline, ramSize: UInt64,
                rsdp: GuestAddress?, memory: any GuestMemory) throws(BootError) {
        let e820 = try E820Map.standard(ramSize: ramSize)
        let kernel = try LoadedKernel.load(kernelImage, into: memory)
        if let header = kernel.setupHeader, cmdline.text.utf8.count > Int(header.cmdlineSize) {
            throw .cmdlineTooLong(length: cmdline.text.utf8.count, maximum: Int(header.cmdlineSize))
        }
        var params = BootParams(kernel: kernel)
        try memory.copy(cmdline.bytes, 0..<cmdline.bytes.count, to: BootLayout.cmdline, what: "kernel command line")
        try params.setCommandLine(cmdline, at: BootLayout.cmdline)
        if let initrdImage {
            let address = try InitrdPlacement.address(size: UInt64(initrdImage.count), lowRAMTop: e820.lowRAMTop, kernel: kernel)
            try memory.copy(initrdImage, 0..<initrdImage.count, to: address, what: "initrd")
            try params.setInitrd(at: address, size: UInt64(initrdImage.count))
            initrdAddress = address
            initrdSize = UInt64(initrdImage.count)
        }
        try params.setE820(e820)
        if let rsdp { params.setACPIRSDP(rsdp) }
        try params.write(to: memory, at: BootLayout.zeroPage)
        self.kernel = kernel
        self.zeroPage = BootLayout.zeroPage
        self.cmdlineAddress = BootLayout.cmdline
        self.e820 = e820
    }
}
