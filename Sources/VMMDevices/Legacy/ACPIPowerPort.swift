/// The byte-wide I/O register the FADT names as SLEEP_CONTROL, SLEEP_STATUS and RESET_REG (cloud-hypervisor's
/// AcpiShutdownDevice; vmm-facts §7). Writing RESET_VALUE (1) asks for a reset; writing SLP_TYP 5 with SLP_EN
/// ((5 << 2) | 0x20 = 0x34) asks for power-off. Other writes (e.g. WAK_STS 0x80 to clear the status) are
/// ignored; reads return 0.
public final class ACPIPowerPort: BusDevice, Sendable {
    public static let port: UInt16 = 0x600
    public static let length: UInt64 = 1
    public static let resetValue: UInt8 = 1
    public static let sleepEnable: UInt8 = 0x20
    public static let shutdownValue: UInt8 = UInt8(DSDT.s5SleepType << 2) | sleepEnable

    private let events: any PowerEvents

    public init(events: any PowerEvents) { self.events = events }

    public func read(offset: UInt64, data: inout [UInt8]) {
        for index in data.indices { data[index] = 0 }
    }

    public func write(offset: UInt64, data: [UInt8]) {
        guard offset == 0, let value = data.first else { return }
        switch value {
        case Self.resetValue: events.resetRequested(by: .acpi)
        case Self.shutdownValue: events.shutdownRequested(by: .acpi)
        default: break
        }
    }
}
