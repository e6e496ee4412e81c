import Synchronization

/// An 8250/16550A UART as Linux's 8250 driver expects it (vmm-facts §5, after rust-vmm vm-superio):
/// IER keeps bits 0–3, IIR reads carry the FIFO bits (0xC0) so autoconfig reports a 16550A, MSR mirrors
/// MCR in loopback, LSR always shows the transmitter empty (0x60), THR bytes go straight to `output`,
/// host input is queued in a FIFO. Interrupts are edges on `interrupt`.
///
/// Thread safety: all state is behind one lock; `output` and `interrupt` are called with it held, so they
/// must not call back into this device.
public final class Serial8250: BusDevice, Sendable {
    public enum Register {
        public static let data = 0  // RBR/THR, DLL with DLAB
        public static let interruptEnable = 1  // IER, DLM with DLAB
        public static let interruptID = 2  // IIR on read, FCR on write
        public static let lineControl = 3
        public static let modemControl = 4
        public static let lineStatus = 5
        public static let modemStatus = 6
        public static let scratch = 7
    }

    public enum Bits {
        public static let ierRDI: UInt8 = 0x01
        public static let ierTHRI: UInt8 = 0x02
        public static let ierValid: UInt8 = 0x0F
        public static let iirNoInterrupt: UInt8 = 0x01
        public static let iirTHRE: UInt8 = 0x02
        public static let iirRDA: UInt8 = 0x04
        public static let iirFIFOEnabled: UInt8 = 0xC0
        public static let fcrClearReceiver: UInt8 = 0x02
        public static let lcrDLAB: UInt8 = 0x80
        public static let mcrDTR: UInt8 = 0x01
        public static let mcrRTS: UInt8 = 0x02
        public static let mcrOUT1: UInt8 = 0x04
        public static let mcrOUT2: UInt8 = 0x08
        public static let mcrLoop: UInt8 = 0x10
        public static let lsrDataReady: UInt8 = 0x01
        public static let lsrOverrun: UInt8 = 0x02
        public static let lsrTHRE: UInt8 = 0x20
        public static let lsrTEMT: UInt8 = 0x40
        public static let msrCTS: UInt8 = 0x10
        public static let msrDSR: UInt8 = 0x20
        public static let msrRI: UInt8 = 0x40
        public static let msrDCD: UInt8 = 0x80
    }

    /// Host input waiting for the guest. (A real 16550A has 16 bytes; loopback data is limited to that,
    /// so a full FIFO probe still counts 16, but host input may queue up to this many.)
    public static let inputCapacity = 64
    public static let hardwareFIFOSize = 16

    struct State {
        var ier: UInt8 = 0
        /// Pending interrupt sources as IIR identification bits (THRE 0x02, RDA 0x04).
        var pending: UInt8 = 0
        var lcr: UInt8 = 0x03
        var mcr: UInt8 = Bits.mcrOUT2
        var overrun = false
        var msr: UInt8 = Bits.msrDCD | Bits.msrDSR | Bits.msrCTS
        var scratch: UInt8 = 0
        var divisor: UInt16 = 0x000C
        var input: [UInt8] = []
        var inputHead = 0

        var inputCount: Int { input.count - inputHead }
        var loopback: Bool { mcr & Bits.mcrLoop != 0 }
        var dlab: Bool { lcr & Bits.lcrDLAB != 0 }

        mutating func pop() -> UInt8? {
            guard inputHead < input.count else { return nil }
            let byte = input[inputHead]
            inputHead += 1
            if inputHead == input.count {
                input.removeAll(keepingCapacity: true)
                inputHead = 0
            }
            return byte
        }
    }

    private let state = Mutex(State())
    private let output: any SerialOutput
    private let interrupt: any InterruptLine

    public init(output: any SerialOutput, interrupt: any InterruptLine) {
        self.output = output
        self.interrupt = interrupt
    }

    /// Back to the power-on state (a VM reset); queued input is dropped.
    public func reset() {
        state.withLock { $0 = State() }
    }

    /// Queues host input for the guest; returns how many bytes fit (none in loopback mode, where the
    /// receiver is connected to the transmitter). Raises the receive interrupt when enabled.
    @discardableResult
    public func enqueue(_ bytes: [UInt8]) -> Int {
        state.withLock { state in
            guard !state.loopback else { return 0 }
            let accepted = min(bytes.count, Self.inputCapacity - state.inputCount)
            guard accepted > 0 else { return 0 }
            state.input += bytes.prefix(accepted)
            raiseReceive(&state)
            return accepted
        }
    }

    /// Free room in the input queue.
    public var inputSpace: Int { state.withLock { Self.inputCapacity - $0.inputCount } }

    public func read(offset: UInt64, data: inout [UInt8]) {
        guard !data.isEmpty else { return }
        let value = state.withLock { state in readRegister(Int(offset), &state) }
        data[0] = value
        for index in data.indices.dropFirst() { data[index] = 0 }
    }

    public func write(offset: UInt64, data: [UInt8]) {
        guard let value = data.first else { return }
        state.withLock { state in writeRegister(Int(offset), value, &state) }
    }

    private func readRegister(_ register: Int, _ state: inout State) -> UInt8 {
        switch register {
        case Register.data where state.dlab:
            return UInt8(truncatingIfNeeded: state.divisor)
        case Register.data:
            let byte = state.pop() ?? 0
            if state.inputCount == 0 { state.pending &= ~Bits.iirRDA }
            return byte
        case Register.interruptEnable where state.dlab:
            return UInt8(truncatingIfNeeded: state.divisor >> 8)
        case Register.interruptEnable:
            return state.ier
        case Register.interruptID:
            // Highest priority first; reading the IIR acknowledges a THRE interrupt it reports.
            let id: UInt8
            if state.pending & Bits.iirRDA != 0 {
                id = Bits.iirRDA
            } else if state.pending & Bits.iirTHRE != 0 {
                id = Bits.iirTHRE
                state.pending &= ~Bits.iirTHRE
            } else {
                id = Bits.iirNoInterrupt
            }
            return id | Bits.iirFIFOEnabled
        case Register.lineControl:
            return state.lcr
        case Register.modemControl:
            return state.mcr
        case Register.lineStatus:
            var lsr = Bits.lsrTHRE | Bits.lsrTEMT
            if state.inputCount > 0 { lsr |= Bits.lsrDataReady }
            if state.overrun { lsr |= Bits.lsrOverrun }
            state.overrun = false  // error bits clear on read
            return lsr
        case Register.modemStatus:
            return modemStatus(state)
        case Register.scratch:
            return state.scratch
        default:
            return 0
        }
    }

    /// In loopback the modem inputs follow the modem outputs: RTS→CTS, DTR→DSR, OUT1→RI, OUT2→DCD.
    private func modemStatus(_ state: State) -> UInt8 {
        guard state.loopback else { return state.msr }
        var msr = state.msr & 0x0F
        if state.mcr & Bits.mcrRTS != 0 { msr |= Bits.msrCTS }
        if state.mcr & Bits.mcrDTR != 0 { msr |= Bits.msrDSR }
        if state.mcr & Bits.mcrOUT1 != 0 { msr |= Bits.msrRI }
        if state.mcr & Bits.mcrOUT2 != 0 { msr |= Bits.msrDCD }
        return msr
    }

    private func writeRegister(_ register: Int, _ value: UInt8, _ state: inout State) {
        switch register {
        case Register.data where state.dlab:
            state.divisor = state.divisor & 0xFF00 | UInt16(value)
        case Register.data:
            if state.loopback {
                if state.inputCount < Self.hardwareFIFOSize {
                    state.input.append(value)
                    raiseReceive(&state)
                } else {
                    state.overrun = true
                }
            } else {
                output.write(value)
            }
            // The byte left at once: the holding register is empty again.
            if state.ier & Bits.ierTHRI != 0, state.pending & Bits.iirTHRE == 0 {
                state.pending |= Bits.iirTHRE
                interrupt.trigger()
            }
        case Register.interruptEnable where state.dlab:
            state.divisor = state.divisor & 0x00FF | UInt16(value) << 8
        case Register.interruptEnable:
            let enabledRDI = value & Bits.ierRDI != 0 && state.ier & Bits.ierRDI == 0
            state.ier = value & Bits.ierValid
            if state.ier & Bits.ierTHRI == 0 { state.pending &= ~Bits.iirTHRE }
            if state.ier & Bits.ierRDI == 0 { state.pending &= ~Bits.iirRDA }
            // Data already waiting when the receive interrupt is switched on is reported at once.
            if enabledRDI, state.inputCount > 0 { raiseReceive(&state) }
        case Register.lineControl:
            state.lcr = value
        case Register.modemControl:
            state.mcr = value
        case Register.interruptID:
            // FCR: the FIFOs stay enabled; "clear receiver FIFO" drops queued input.
            if value & Bits.fcrClearReceiver != 0 {
                state.input.removeAll(keepingCapacity: true)
                state.inputHead = 0
                state.pending &= ~Bits.iirRDA
            }
        case Register.scratch:
            state.scratch = value
        default:
            break  // LSR and MSR are read-only
        }
    }

    private func raiseReceive(_ state: inout State) {
        guard state.ier & Bits.ierRDI != 0 else { return }
        state.pending |= Bits.iirRDA
        interrupt.trigger()
    }
}
