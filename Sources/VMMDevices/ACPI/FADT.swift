/// The Fixed ACPI Description Table "FACP", revision 6.5, hardware-reduced (ACPI §5.2.9; vmm-facts §4, §7).
/// Sleep control, sleep status and the reset register are one byte-wide I/O port (`ACPIPowerPort`, 0x600):
/// a guest `poweroff` writes SLP_TYP 5 | SLP_EN there and `reboot` writes RESET_VALUE 1, so both reach the VMM.
public enum FADT {
    public static let size = 276

    public enum Offset {
        public static let dsdt = 40
        public static let iapcBootArch = 109
        public static let flags = 112
        public static let resetRegister = 116
        public static let resetValue = 128
        public static let minorVersion = 131
        public static let xDSDT = 140
        public static let sleepControl = 244
        public static let sleepStatus = 256
        public static let hypervisorVendor = 268
    }

    public enum Flag {
        public static let powerButton: UInt32 = 1 << 4  // no fixed power button
        public static let sleepButton: UInt32 = 1 << 5  // no fixed sleep button
        public static let timerValueExtended: UInt32 = 1 << 8
        public static let resetRegisterSupported: UInt32 = 1 << 10
        public static let hardwareReduced: UInt32 = 1 << 20
    }

    public enum BootArch {
        public static let vgaNotPresent: UInt16 = 1 << 2
        public static let cmosRTCNotPresent: UInt16 = 1 << 5
    }

    public static let flags = Flag.hardwareReduced | Flag.resetRegisterSupported | Flag.timerValueExtended
        | Flag.powerButton | Flag.sleepButton
    /// No VGA and no CMOS RTC (none is emulated); the 8042 bit stays clear, so Linux finds the keyboard
    /// controller only through the DSDT's PNP0303 device.
    public static let bootArch = BootArch.vgaNotPresent | BootArch.cmosRTCNotPresent
    public static let resetValue: UInt8 = ACPIPowerPort.resetValue

    public static func build(dsdtAddress: UInt64, powerPort: UInt16 = ACPIPowerPort.port) -> [UInt8] {
        var table = [UInt8](repeating: 0, count: size)
        ByteFields.store(bootArch, into: &table, at: Offset.iapcBootArch)
        ByteFields.store(flags, into: &table, at: Offset.flags)
        let port = GenericAddress.ioPort(powerPort).encoded
        table.replaceSubrange(Offset.resetRegister..<Offset.resetRegister + 12, with: port)
        table[Offset.resetValue] = resetValue
        table[Offset.minorVersion] = 5
        ByteFields.store(dsdtAddress, into: &table, at: Offset.xDSDT)
        table.replaceSubrange(Offset.sleepControl..<Offset.sleepControl + 12, with: port)
        table.replaceSubrange(Offset.sleepStatus..<Offset.sleepStatus + 12, with: port)
        table.replaceSubrange(Offset.hypervisorVendor..<Offset.hypervisorVendor + 8, with: ByteFields.ascii("VMCTLVMM", count: 8))
        return ACPITableHeader(signature: "FACP", revision: 6, oemTableID: "VMCTLFAC")
            .table(body: Array(table[ACPITableHeader.size...]))
    }
}
