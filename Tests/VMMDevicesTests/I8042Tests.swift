import Testing
import VMMDevices

@Suite("i8042 keyboard controller")
struct I8042Tests {
    func make() throws -> (I8042, Bus, EdgeCounter, PowerRecorder) {
        let irq = EdgeCounter()
        let power = PowerRecorder()
        let controller = I8042(interrupt: irq, events: power)
        let bus = Bus()
        try bus.register(controller, at: Bus.Range(base: 0x60, length: I8042.length))
        return (controller, bus, irq, power)
    }

    func inb(_ bus: Bus, _ port: UInt64) -> UInt8 {
        var data: [UInt8] = [0xEE]
        bus.read(port, data: &data)
        return data[0]
    }

    @Test("power-on: status 0x10 (keyboard enabled, output empty), control byte 0x05, empty data reads 0")
    func initial() throws {
        let (_, bus, irq, _) = try make()
        #expect(inb(bus, 0x64) == 0x10)
        #expect(inb(bus, 0x60) == 0)
        bus.write(0x64, data: [0x20])  // read control byte
        #expect(inb(bus, 0x64) == 0x11)
        #expect(inb(bus, 0x60) == 0x05)
        #expect(inb(bus, 0x64) == 0x10)
        #expect(irq.count == 0)  // controller replies raise no keyboard interrupt
    }

    @Test("write control byte (0x60 + parameter) and output port (0xD1/0xD0); status bit 3 marks the parameter")
    func commandsWithParameters() throws {
        let (_, bus, _, _) = try make()
        bus.write(0x64, data: [0x60])
        #expect(inb(bus, 0x64) & 0x08 != 0)
        bus.write(0x60, data: [0x47])
        #expect(inb(bus, 0x64) & 0x08 == 0)
        bus.write(0x64, data: [0x20])
        #expect(inb(bus, 0x60) == 0x47)
        bus.write(0x64, data: [0xD1])
        bus.write(0x60, data: [0xDF])
        bus.write(0x64, data: [0xD0])
        #expect(inb(bus, 0x60) == 0xDF)
        bus.write(0x64, data: [0xAA])  // self-test
        #expect(inb(bus, 0x60) == 0x55)
        bus.write(0x64, data: [0xAB])  // keyboard interface test
        #expect(inb(bus, 0x60) == 0x00)
        bus.write(0x64, data: [0xAD])
        bus.write(0x64, data: [0x20])
        #expect(inb(bus, 0x60) & 0x10 != 0)  // keyboard disabled in the control byte
        bus.write(0x64, data: [0xAE])
        bus.write(0x64, data: [0x20])
        #expect(inb(bus, 0x60) & 0x10 == 0)
    }

    @Test("bytes for the keyboard are ACKed (0xFA) with IRQ1; identify answers AB 83, reset AA; IRQ1 again while data remains")
    func keyboardCommands() throws {
        let (_, bus, irq, _) = try make()
        bus.write(0x60, data: [0xED])  // set LEDs
        #expect(irq.count == 1)
        #expect(inb(bus, 0x60) == 0xFA)
        #expect(irq.count == 1)
        bus.write(0x60, data: [0xF2])  // identify
        #expect(irq.count == 2)
        #expect(inb(bus, 0x60) == 0xFA)
        #expect(irq.count == 3)  // two id bytes still queued
        #expect(inb(bus, 0x60) == 0xAB)
        #expect(irq.count == 4)
        #expect(inb(bus, 0x60) == 0x83)
        #expect(irq.count == 4)
        #expect(inb(bus, 0x64) & 0x01 == 0)
        bus.write(0x60, data: [0xFF])
        #expect(inb(bus, 0x60) == 0xFA && inb(bus, 0x60) == 0xAA)
        // With the keyboard interrupt off in the control byte, no IRQ1.
        bus.write(0x64, data: [0x60])
        bus.write(0x60, data: [0x04])
        let before = irq.count
        bus.write(0x60, data: [0xF4])
        #expect(irq.count == before)
        #expect(inb(bus, 0x60) == 0xFA)
    }

    @Test("command 0xFE asks the VMM for a reset")
    func resetCommand() throws {
        let (_, bus, _, power) = try make()
        bus.write(0x64, data: [0xFE])
        #expect(power.events == [.reset(.keyboardController)])
    }

    @Test("Ctrl-Alt-Del: set-2 make codes 14 11 E0 71, IRQ1 per key, refused when the queue lacks four bytes")
    func ctrlAltDel() throws {
        let (controller, bus, irq, _) = try make()
        #expect(controller.sendCtrlAltDel())
        #expect(irq.count == 3)
        var bytes: [UInt8] = []
        while inb(bus, 0x64) & 0x01 != 0 { bytes.append(inb(bus, 0x60)) }
        #expect(bytes == [0x14, 0x11, 0xE0, 0x71])
        for _ in 0..<4 { #expect(controller.sendCtrlAltDel()) }  // fills all 16 bytes
        #expect(!controller.sendCtrlAltDel())
        controller.reset()
        #expect(inb(bus, 0x64) == 0x10)
    }
}
