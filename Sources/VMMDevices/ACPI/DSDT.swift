/// The Differentiated System Description Table (revision 2, 64-bit integers) describing the devices the
/// kernel cannot discover itself (vmm-facts §4): one LNRO0005 virtio-mmio device per window, COM1,
/// the PS/2 keyboard controller, and the \_S5_ sleep state that enables ACPI power-off. With
/// `powerButtonGSI`, also an ACPI power button (PNP0C0C) that a Generic Event Device (ACPI0013) notifies
/// when that GSI fires: the hardware-reduced way for the VMM to press the button (vmm-facts §7).
public struct DSDT: Equatable, Sendable {
    public struct VirtioMMIO: Equatable, Sendable {
        public var base: UInt64
        public var size: UInt64
        public var gsi: UInt32

        public init(base: UInt64, size: UInt64 = BootLayout.virtioMMIOWindow, gsi: UInt32) {
            self.base = base
            self.size = size
            self.gsi = gsi
        }
    }

    public static let com1Port: UInt16 = 0x3F8
    public static let com1GSI: UInt32 = 4
    public static let i8042DataPort: UInt16 = 0x60
    public static let i8042CommandPort: UInt16 = 0x64
    public static let i8042GSI: UInt32 = 1
    /// SLP_TYP for S5, written by the guest as (5 << 2) | SLP_EN to the sleep control register.
    public static let s5SleepType: UInt64 = 5

    public var virtio: [VirtioMMIO]
    public var com1: Bool
    public var keyboard: Bool
    /// The GSI of the Generic Event Device whose only event is "power button pressed"; nil: no power button.
    public var powerButtonGSI: UInt32?

    public init(virtio: [VirtioMMIO], com1: Bool = true, keyboard: Bool = true, powerButtonGSI: UInt32? = nil) {
        self.virtio = virtio
        self.com1 = com1
        self.keyboard = keyboard
        self.powerButtonGSI = powerButtonGSI
    }

    /// The definition block's terms: Scope(_SB_) { devices } and Name(_S5_, Package(){5, 5, 0, 0}), both at the
    /// root (iasl writes "\_SB" at the root as plain _SB_ too).
    public func terms() throws(ACPIError) -> [AML] {
        var devices: [AML] = []
        for (index, device) in virtio.enumerated() { devices.append(try Self.virtioDevice(device, index: index)) }
        if com1 { devices.append(try Self.com1Device()) }
        if keyboard { devices.append(try Self.keyboardDevice()) }
        if let gsi = powerButtonGSI { devices += [try Self.powerButtonDevice(), try Self.genericEventDevice(gsi: gsi)] }
        let s5 = AML.name(try AMLName("_S5_"), .package([.integer(Self.s5SleepType), .integer(Self.s5SleepType), .zero, .zero]))
        return [.scope(try AMLName("_SB_"), devices), s5]
    }

    public func build() throws(ACPIError) -> [UInt8] {
        let body = try terms().flatMap(\.encoded)
        return ACPITableHeader(signature: "DSDT", revision: 2, oemTableID: "VMCTLDSD").table(body: body)
    }

    /// Device(Vnnn) { _HID "LNRO0005", _UID n, _CCA One, _CRS { Memory32Fixed(RW, base, size), Interrupt{gsi} } }.
    public static func virtioDevice(_ device: VirtioMMIO, index: Int) throws(ACPIError) -> AML {
        guard index >= 0, index <= 999 else {
            throw .invalidArgument(what: "virtio-mmio device \(index)", reason: "at most 1000 devices can be named V000–V999")
        }
        guard device.base <= UInt64(UInt32.max), device.size <= UInt64(UInt32.max) - device.base, device.size > 0 else {
            throw .invalidArgument(what: "virtio-mmio window \(HexText.short(device.base))+\(HexText.short(device.size))",
                                   reason: "Memory32Fixed needs a non-empty window below 4 GiB")
        }
        let digits = String(index)
        let name = try AMLName("V" + String(repeating: "0", count: 3 - digits.count) + digits)
        return .device(name, [
            .name(try AMLName("_HID"), .string("LNRO0005")),
            .name(try AMLName("_UID"), .integer(UInt64(index))),
            .name(try AMLName("_CCA"), .one),
            .name(try AMLName("_CRS"), .resourceTemplate(ResourceTemplate([
                .memory32Fixed(writable: true, base: UInt32(device.base), length: UInt32(device.size)),
                .edgeInterrupt(device.gsi),
            ]))),
        ])
    }

    /// Device(COM1) { _HID EisaId("PNP0501"), _UID 0, _DDN "COM1", _CRS { IO(0x3F8, 0x3F8, 1, 8), Interrupt{4} } }.
    public static func com1Device() throws(ACPIError) -> AML {
        .device(try AMLName("COM1"), [
            .name(try AMLName("_HID"), .eisaID(try EisaID("PNP0501"))),
            .name(try AMLName("_UID"), .zero),
            .name(try AMLName("_DDN"), .string("COM1")),
            .name(try AMLName("_CRS"), .resourceTemplate(ResourceTemplate([
                .io(minimum: com1Port, maximum: com1Port, alignment: 1, length: 8),
                .edgeInterrupt(com1GSI),
            ]))),
        ])
    }

    /// Device(PS2_) { _HID EisaId("PNP0303"), _STA → 0x0F, _CRS { IO(0x60), IO(0x64), Interrupt{1} } }.
    public static func keyboardDevice() throws(ACPIError) -> AML {
        .device(try AMLName("PS2_"), [
            .name(try AMLName("_HID"), .eisaID(try EisaID("PNP0303"))),
            .method(try AMLName("_STA"), returning: .integer(0x0F)),
            .name(try AMLName("_CRS"), .resourceTemplate(ResourceTemplate([
                .io(minimum: i8042DataPort, maximum: i8042DataPort, alignment: 1, length: 1),
                .io(minimum: i8042CommandPort, maximum: i8042CommandPort, alignment: 1, length: 1),
                .edgeInterrupt(i8042GSI),
            ]))),
        ])
    }

    /// Device(PWRB) { _HID EisaId("PNP0C0C"), _UID 0 }: the control-method power button Linux's button driver binds.
    public static func powerButtonDevice() throws(ACPIError) -> AML {
        .device(try AMLName("PWRB"), [
            .name(try AMLName("_HID"), .eisaID(try EisaID("PNP0C0C"))),
            .name(try AMLName("_UID"), .zero),
        ])
    }

    /// Device(GED_) { _HID "ACPI0013", _UID 0, _CRS { Interrupt{gsi} }, Method(_EVT, 1) { Notify(PWRB, 0x80) } }:
    /// Linux's GED driver runs _EVT when the (edge) interrupt fires; 0x80 on a power button means "pressed".
    /// PWRB is found by the upward namespace search from \_SB_.GED_._EVT (iasl emits the same short name).
    public static func genericEventDevice(gsi: UInt32) throws(ACPIError) -> AML {
        // NotifyOp, NameString PWRB, BytePrefix 0x80.
        let notify: [UInt8] = [0x86] + (try AMLName("PWRB")).encoded + [0x0A, 0x80]
        return .device(try AMLName("GED_"), [
            .name(try AMLName("_HID"), .string("ACPI0013")),
            .name(try AMLName("_UID"), .zero),
            .name(try AMLName("_CRS"), .resourceTemplate(ResourceTemplate([.edgeInterrupt(gsi)]))),
            .method(try AMLName("_EVT"), argumentCount: 1, serialized: false, [.raw(notify)]),
        ])
    }
}
