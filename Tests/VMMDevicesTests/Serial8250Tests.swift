import Testing
import VMMDevices

/// Linux's 8250 driver (drivers/tty/serial/8250/8250_port.c), replayed register access by register access
/// against the UART on a port bus at 0x3F8.
struct Linux8250Driver {
    enum PortType: Equatable { case none(String), unknown, p8250, p16450, p16550, p16550A, p16650, p16750, nsc, xscale, u6_16550A, fsl64 }

    let bus: Bus
    let base: UInt64 = 0x3F8

    func inb(_ register: UInt64) -> UInt8 {
        var data: [UInt8] = [0xEE]
        bus.read(base + register, data: &data)
        return data[0]
    }

    func outb(_ register: UInt64, _ value: UInt8) { bus.write(base + register, data: [value]) }

    // Register numbers (include/uapi/linux/serial_reg.h).
    static let rx: UInt64 = 0, tx: UInt64 = 0, ier: UInt64 = 1, iir: UInt64 = 2, fcr: UInt64 = 2, efr: UInt64 = 2
    static let lcr: UInt64 = 3, mcr: UInt64 = 4, lsr: UInt64 = 5, msr: UInt64 = 6, dll: UInt64 = 0, dlm: UInt64 = 1

    /// autoconfig(): the IER existence test, the loopback test, then the IIR FIFO bits decide the type;
    /// `fullProbe` adds autoconfig_16550a's variant probes (UPF_FULL_PROBE / SERIAL_8250_16550A_VARIANTS).
    func autoconfig(skipTest: Bool = false, fullProbe: Bool = true) -> PortType {
        let scratch = inb(Self.ier)
        outb(Self.ier, 0)
        let scratch2 = inb(Self.ier) & 0x0F
        outb(Self.ier, 0x0F)
        let scratch3 = inb(Self.ier) & 0x0F
        outb(Self.ier, scratch)
        guard scratch2 == 0, scratch3 == 0x0F else { return .none("IER test failed (\(scratch2), \(scratch3))") }

        let saveMCR = inb(Self.mcr)
        let saveLCR = inb(Self.lcr)
        if !skipTest {
            outb(Self.mcr, 0x10 | 0x0A)  // UART_MCR_LOOP | OUT2 | RTS
            let status1 = inb(Self.msr) & 0xF0
            outb(Self.mcr, saveMCR)
            guard status1 == 0x90 else { return .none("LOOP test failed (\(status1))") }
        }
        outb(Self.lcr, 0xBF)  // UART_LCR_CONF_MODE_B
        outb(Self.efr, 0)
        outb(Self.lcr, 0)
        outb(Self.fcr, 0x01)  // UART_FCR_ENABLE_FIFO
        let type: PortType
        switch inb(Self.iir) >> 6 {
        case 0: type = .p8250
        case 1: type = .unknown
        case 2: type = .p16550
        default: type = fullProbe ? autoconfig16550A() : .p16550A
        }
        outb(Self.lcr, saveLCR)
        // Reset the UART.
        outb(Self.mcr, saveMCR)
        clearFIFOs()
        _ = inb(Self.rx)
        outb(Self.ier, 0)
        return type
    }

    func clearFIFOs() {
        outb(Self.fcr, 0x01)
        outb(Self.fcr, 0x01 | 0x02 | 0x04)
        outb(Self.fcr, 0)
    }

    /// autoconfig_16550a() with the variant probes.
    func autoconfig16550A() -> PortType {
        outb(Self.lcr, 0x80)  // UART_LCR_CONF_MODE_A
        if inb(Self.efr) == 0 {
            outb(Self.efr, 0xA8)
            if inb(Self.efr) != 0 { return .p16650 }
            outb(Self.lcr, 0)
            outb(Self.fcr, 0x01 | 0x20)
            let status1 = inb(Self.iir) >> 5
            outb(Self.fcr, 0x01)
            outb(Self.lcr, 0)
            outb(Self.efr, 0)
            return status1 == 7 ? .fsl64 : .p16550A
        }
        outb(Self.lcr, 0xBF)
        if inb(Self.efr) == 0 { return .p16650 }  // EFRv2
        outb(Self.lcr, 0)
        let mcr1 = inb(Self.mcr)
        outb(Self.lcr, 0xE0)
        var status2 = inb(0x02)  // EXCR1 of a National SuperIO
        if (status2 ^ mcr1) & 0x10 == 0 {
            outb(Self.lcr, 0)
            outb(Self.mcr, mcr1 ^ 0x10)
            outb(Self.lcr, 0xE0)
            status2 = inb(0x02)
            outb(Self.lcr, 0)
            outb(Self.mcr, mcr1)
            if (status2 ^ mcr1) & 0x10 != 0 { return .nsc }
        }
        outb(Self.lcr, 0)
        outb(Self.fcr, 0x01 | 0x20)
        let s1 = inb(Self.iir) >> 5
        outb(Self.fcr, 0x01)
        outb(Self.lcr, 0x80)
        outb(Self.fcr, 0x01 | 0x20)
        let s2 = inb(Self.iir) >> 5
        outb(Self.fcr, 0x01)
        outb(Self.lcr, 0)
        if s1 == 6, s2 == 7 { return .p16750 }
        let iersave = inb(Self.ier)
        outb(Self.ier, iersave & ~0x40)
        if inb(Self.ier) & 0x40 == 0 {
            outb(Self.ier, iersave | 0x40)
            if inb(Self.ier) & 0x40 != 0 { return .xscale }
        }
        outb(Self.ier, iersave)
        return sizeFIFO() == 64 ? .u6_16550A : .p16550A
    }

    /// size_fifo(): loop back 256 bytes at divisor 1 and count what the receiver kept.
    func sizeFIFO() -> Int {
        let oldLCR = inb(Self.lcr)
        outb(Self.lcr, 0)
        let oldFCR = inb(Self.fcr)
        let oldMCR = inb(Self.mcr)
        outb(Self.fcr, 0x01 | 0x02 | 0x04)
        outb(Self.mcr, 0x10)
        outb(Self.lcr, 0x80)
        let oldDL = UInt16(inb(Self.dll)) | UInt16(inb(Self.dlm)) << 8
        outb(Self.dll, 1)
        outb(Self.dlm, 0)
        outb(Self.lcr, 0x03)
        for byte in 0..<256 { outb(Self.tx, UInt8(byte)) }
        var count = 0
        while inb(Self.lsr) & 0x01 != 0, count < 256 {
            _ = inb(Self.rx)
            count += 1
        }
        outb(Self.fcr, oldFCR)
        outb(Self.mcr, oldMCR)
        outb(Self.lcr, oldLCR)
        outb(Self.lcr, oldLCR | 0x80)
        outb(Self.dll, UInt8(truncatingIfNeeded: oldDL))
        outb(Self.dlm, UInt8(oldDL >> 8))
        outb(Self.lcr, oldLCR)
        return count
    }

    struct Bugs: Equatable { var thre = false, txen = false }

    /// serial8250_do_startup(): clear FIFOs and interrupt registers, the LSR safety check, 8N1 with
    /// OUT2, the THRE re-assert test and the TX-enable test. Returns the bugs Linux would record.
    func startup() -> Bugs? {
        clearFIFOs()
        _ = inb(Self.lsr)
        _ = inb(Self.rx)
        _ = inb(Self.iir)
        _ = inb(Self.msr)
        guard inb(Self.lsr) != 0xFF else { return nil }  // "LSR safety check engaged!"
        outb(Self.lcr, 0x03)  // UART_LCR_WLEN8
        outb(Self.mcr, 0x08 | 0x02 | 0x01)  // OUT2 (IRQ routed) | RTS | DTR
        var bugs = Bugs()
        // THRE test.
        outb(Self.ier, 0x02)
        let iir1 = inb(Self.iir)
        outb(Self.ier, 0)
        outb(Self.ier, 0x02)
        let iir = inb(Self.iir)
        outb(Self.ier, 0)
        if iir1 & 0x01 == 0 && iir & 0x01 != 0 { bugs.thre = true }
        // TX-enable test.
        outb(Self.ier, 0x02)
        let lsr = inb(Self.lsr)
        let iir2 = inb(Self.iir)
        outb(Self.ier, 0)
        if lsr & 0x40 != 0 && iir2 & 0x01 != 0 { bugs.txen = true }
        // Clear the interrupt registers again, then enable receive interrupts.
        _ = inb(Self.lsr)
        _ = inb(Self.rx)
        _ = inb(Self.iir)
        _ = inb(Self.msr)
        outb(Self.ier, 0x05)  // UART_IER_RLSI | UART_IER_RDI
        return bugs
    }

    /// serial8250_handle_irq(): one pass of the interrupt handler; returns the bytes received, whether the
    /// IIR claimed the interrupt, and how many bytes it transmitted from `pending`.
    func handleInterrupt(transmit pending: inout [UInt8], ierTHRI: inout Bool) -> (received: [UInt8], handled: Bool) {
        let iir = inb(Self.iir)
        guard iir & 0x01 == 0 else { return ([], false) }
        var received: [UInt8] = []
        var lsr = inb(Self.lsr)
        if lsr & 0x01 != 0 {
            repeat {
                received.append(inb(Self.rx))
                lsr = inb(Self.lsr)
            } while lsr & 0x01 != 0
        }
        if lsr & 0x20 != 0, ierTHRI {
            // serial8250_tx_chars: up to tx_loadsz (16) bytes; stop TX when nothing is left.
            for _ in 0..<16 where !pending.isEmpty { outb(Self.tx, pending.removeFirst()) }
            if pending.isEmpty {
                ierTHRI = false
                outb(Self.ier, 0x05)
            }
        }
        return (received, true)
    }
}

@Suite("8250/16550A UART")
struct Serial8250Tests {
    func make() throws -> (Serial8250, Linux8250Driver, ByteSink, EdgeCounter) {
        let sink = ByteSink()
        let irq = EdgeCounter()
        let uart = Serial8250(output: sink, interrupt: irq)
        let bus = Bus()
        try bus.register(uart, at: Bus.Range(base: 0x3F8, length: 8))
        return (uart, Linux8250Driver(bus: bus), sink, irq)
    }

    @Test("power-on registers: IER 0, IIR 0xC1, LCR 0x03, MCR 0x08, LSR 0x60, MSR 0xB0, divisor 0x000C")
    func resetState() throws {
        let (_, linux, _, irq) = try make()
        #expect(linux.inb(1) == 0)
        #expect(linux.inb(2) == 0xC1)
        #expect(linux.inb(3) == 0x03)
        #expect(linux.inb(4) == 0x08)
        #expect(linux.inb(5) == 0x60)
        #expect(linux.inb(6) == 0xB0)
        linux.outb(3, 0x83)
        #expect(linux.inb(0) == 0x0C && linux.inb(1) == 0x00)
        linux.outb(3, 0x03)
        #expect(irq.count == 0)
    }

    @Test("Linux's autoconfig detects a 16550A: IER test, loopback MSR 0x90, IIR FIFO bits — quick and full probe")
    func autoconfig() throws {
        let (_, linux, sink, irq) = try make()
        #expect(linux.autoconfig(fullProbe: false) == .p16550A)
        #expect(linux.autoconfig(skipTest: true, fullProbe: false) == .p16550A)  // PNP ports skip the loop test
        #expect(linux.autoconfig(fullProbe: true) == .p16550A)  // not a 16650/16750/NSC/XScale/U6 (64-byte FIFO)
        #expect(linux.sizeFIFO() == 16)
        #expect(sink.bytes.isEmpty)  // loopback bytes never reach the console
        #expect(linux.inb(4) == 0x08 && linux.inb(3) == 0x03 && linux.inb(1) == 0)  // restored
        #expect(linux.inb(5) == 0x60)  // FIFO cleared; the overrun bit was reported once
        linux.outb(3, 0x83)
        #expect(linux.inb(0) == 0x0C)  // divisor restored
        linux.outb(3, 0x03)
        #expect(irq.count == 0)  // IER was 0 throughout
    }

    @Test("loopback: MSR mirrors MCR (RTS→CTS, DTR→DSR, OUT1→RI, OUT2→DCD); outside loopback MSR is 0xB0")
    func loopbackMSR() throws {
        let (_, linux, _, _) = try make()
        for (mcr, msr): (UInt8, UInt8) in [(0x1A, 0x90), (0x11, 0x20), (0x14, 0x40), (0x1F, 0xF0), (0x10, 0x00)] {
            linux.outb(4, mcr)
            #expect(linux.inb(6) & 0xF0 == msr, "MCR \(mcr)")
        }
        linux.outb(4, 0x0B)
        #expect(linux.inb(6) == 0xB0)
    }

    @Test("startup: enabling THRI alone raises nothing, so Linux sets UART_BUG_TXEN, not UART_BUG_THRE")
    func startup() throws {
        let (_, linux, _, irq) = try make()
        _ = linux.autoconfig()
        #expect(linux.startup() == Linux8250Driver.Bugs(thre: false, txen: true))
        #expect(irq.count == 0)
        #expect(linux.inb(1) == 0x05)
    }

    @Test("IER keeps bits 0-3 only; IIR always carries 0xC0")
    func ierMask() throws {
        let (_, linux, _, _) = try make()
        linux.outb(1, 0xFF)
        #expect(linux.inb(1) == 0x0F)
        #expect(linux.inb(2) & 0xC0 == 0xC0)
        linux.outb(1, 0)
    }

    @Test("transmit: THR bytes go to the sink at once; with THRI each byte raises THRE once, read from IIR")
    func transmit() throws {
        let (_, linux, sink, irq) = try make()
        for byte in Array("ok\n".utf8) {
            while linux.inb(5) & 0x20 == 0 {}  // the early console's wait loop
            linux.outb(0, byte)
        }
        #expect(sink.bytes == Array("ok\n".utf8))
        #expect(irq.count == 0)
        // The interrupt-driven path Linux takes with UART_BUG_TXEN: set THRI, poll LSR, write, take IRQs.
        var pending = Array("hello, world: more than sixteen bytes\n".utf8)
        let total = pending.count
        var thri = true
        linux.outb(1, 0x07)
        #expect(irq.count == 0)
        #expect(linux.inb(5) & 0x20 != 0)
        for _ in 0..<16 where !pending.isEmpty { linux.outb(0, pending.removeFirst()) }
        #expect(irq.count == 1)  // THRE pending: later bytes raise no new edge until the IIR is read
        var passes = 0
        while thri, passes < 10 {
            let before = irq.count
            let result = linux.handleInterrupt(transmit: &pending, ierTHRI: &thri)
            #expect(result.handled)
            passes += 1
            if thri { #expect(irq.count == before + 1) }
        }
        #expect(pending.isEmpty && !thri)
        #expect(sink.bytes.count == 3 + total)
        #expect(linux.inb(2) == 0xC1)  // stopping TX (THRI off) withdrew the last THRE
    }

    @Test("receive: host input fills the FIFO, sets DR, raises RDA (IIR 0xC4) when RDI is on; reading drains it")
    func receive() throws {
        let (uart, linux, _, irq) = try make()
        #expect(uart.enqueue(Array("ab".utf8)) == 2)
        #expect(irq.count == 0)  // RDI off
        #expect(linux.inb(5) == 0x61)
        linux.outb(1, 0x01)  // enabling RDI with data waiting reports it
        #expect(irq.count == 1)
        #expect(linux.inb(2) == 0xC4)
        #expect(linux.inb(2) == 0xC4)  // stays until the data is read
        var pending: [UInt8] = []
        var thri = false
        let pass = linux.handleInterrupt(transmit: &pending, ierTHRI: &thri)
        #expect(pass.received == Array("ab".utf8))
        #expect(linux.inb(2) == 0xC1 && linux.inb(5) == 0x60)
        #expect(uart.enqueue(Array("c".utf8)) == 1)
        #expect(irq.count == 2)  // every arrival is an edge, so none is lost while the handler runs
        #expect(linux.inb(0) == UInt8(ascii: "c"))
        #expect(linux.inb(0) == 0)  // empty FIFO reads 0
        // RDA outranks THRE; reading the IIR keeps THRE pending behind it.
        linux.outb(1, 0x03)
        linux.outb(0, 0x41)
        uart.enqueue([0x42])
        #expect(linux.inb(2) == 0xC4)
        _ = linux.inb(0)
        #expect(linux.inb(2) == 0xC2)
        #expect(linux.inb(2) == 0xC1)
    }

    @Test("host input is bounded (64 bytes), refused in loopback, and dropped by FCR clear-receiver or reset")
    func inputLimits() throws {
        let (uart, linux, _, _) = try make()
        #expect(uart.enqueue([UInt8](repeating: 0x31, count: 100)) == 64)
        #expect(uart.inputSpace == 0)
        #expect(uart.enqueue([0x32]) == 0)
        linux.outb(2, 0x03)  // FCR: enable + clear receiver
        #expect(uart.inputSpace == 64 && linux.inb(5) == 0x60)
        linux.outb(4, 0x10)
        #expect(uart.enqueue([0x33]) == 0)
        linux.outb(4, 0x08)
        uart.enqueue([0x34])
        linux.outb(7, 0x5A)
        uart.reset()
        #expect(linux.inb(5) == 0x60 && linux.inb(7) == 0 && uart.inputSpace == 64)
    }

    @Test("scratch register and wide accesses: one byte of data, the rest zero")
    func scratchAndWidth() throws {
        let (uart, _, _, _) = try make()
        uart.write(offset: 7, data: [0xA5, 0xFF])
        var wide: [UInt8] = [9, 9, 9, 9]
        uart.read(offset: 7, data: &wide)
        #expect(wide == [0xA5, 0, 0, 0])
        var empty: [UInt8] = []
        uart.read(offset: 5, data: &empty)
        uart.write(offset: 0, data: [])
    }
}
