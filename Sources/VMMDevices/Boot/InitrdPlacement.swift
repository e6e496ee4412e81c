/// Where the initrd goes: as high in low RAM as allowed, 4 KiB aligned, entirely at or below the kernel's
/// initrd_addr_max, and above everything the kernel claims while starting (its decompression window), so
/// the decompressor never copies itself over it (vmm-facts §2, §9.3).
public enum InitrdPlacement {
    public static let alignment: UInt64 = 0x1000

    /// - Parameters:
    ///   - size: initrd bytes.
    ///   - lowRAMTop: end of RAM below the MMIO gap (`E820Map.lowRAMTop`).
    ///   - kernel: the loaded kernel; a bzImage's initrd_addr_max applies.
    public static func address(size: UInt64, lowRAMTop: UInt64, kernel: LoadedKernel) throws(BootError) -> GuestAddress {
        guard size > 0 else { throw .initrdDoesNotFit(size: size, reason: "the initrd is empty") }
        // initrd_addr_max is the highest byte the initrd may occupy; ramdisk_image is 32-bit here.
        var limit = min(lowRAMTop, 0x1_0000_0000)
        if let header = kernel.setupHeader { limit = min(limit, UInt64(header.initrdAddrMax) + 1) }
        guard size <= limit else {
            throw .initrdDoesNotFit(size: size, reason: "larger than the RAM below \(HexText.short(limit))")
        }
        let address = (limit - size) & ~(alignment - 1)
        guard address >= kernel.reservedEnd else {
            throw .initrdDoesNotFit(size: size, reason: "it would start at \(HexText.short(address)), inside the kernel's "
                                    + "start-up memory ending at \(HexText.short(kernel.reservedEnd)); give the VM more RAM")
        }
        return GuestAddress(address)
    }
}
