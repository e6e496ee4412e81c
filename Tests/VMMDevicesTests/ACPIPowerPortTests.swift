import Testing
import VMMDevices

@Suite("ACPI power/reset port 0x600")
struct ACPIPowerPortTests {
    @Test("RESET_VALUE 1 asks for a reset, SLP_TYP 5 | SLP_EN (0x34) for power-off; other writes are ignored; reads are 0")
    func requests() throws {
        let power = PowerRecorder()
        let port = ACPIPowerPort(events: power)
        let bus = Bus()
        try bus.register(port, at: Bus.Range(base: UInt64(ACPIPowerPort.port), length: ACPIPowerPort.length))
        bus.write(0x600, data: [0x80])  // ACPICA clears WAK_STS in the sleep status register first
        bus.write(0x600, data: [0x14])  // SLP_TYP without SLP_EN
        #expect(power.events.isEmpty)
        bus.write(0x600, data: [0x34])
        bus.write(0x600, data: [0x01])
        #expect(power.events == [.shutdown(.acpi), .reset(.acpi)])
        var data: [UInt8] = [0xFF]
        bus.read(0x600, data: &data)
        #expect(data == [0])
        #expect(ACPIPowerPort.shutdownValue == (5 << 2) | 0x20)
    }
}
