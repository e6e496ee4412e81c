import Synchronization

/// The i8042 keyboard controller as a micro-VM needs it (vmm-facts §5, after Firecracker's i8042):
/// status at 0x64, data at 0x60, a 16-byte output queue, the control byte, the output port, command
/// 0xFE (CPU reset) reported through `PowerEvents`, and Ctrl-Alt-Del injection with scan-code set 2 make
/// codes. Keyboard commands are acknowledged (0xFA); reset and identify get the replies a keyboard gives.
/// Register it at port 0x60 with length 5 (offset 0 = data, offset 4 = status/command).
///
/// Thread safety: one lock; `interrupt` is called with it held, `events` without.
public final class I8042: BusDevice, Sendable {
    public static let basePort: UInt16 = 0x60
    public static let length: UInt64 = 5
    public static let dataOffset: UInt64 = 0
    public static let commandOffset: UInt64 = 4
    public static let bufferSize = 16

    public enum Command {
        public static let readControl: UInt8 = 0x20
        public static let writeControl: UInt8 = 0x60
        public static let selfTest: UInt8 = 0xAA
        public static let keyboardInterfaceTest: UInt8 = 0xAB
        public static let disableKeyboard: UInt8 = 0xAD
        public static let enableKeyboard: UInt8 = 0xAE
        public static let readOutputPort: UInt8 = 0xD0
        public static let writeOutputPort: UInt8 = 0xD1
        public static let resetCPU: UInt8 = 0xFE
    }

    public enum Status {
        public static let outputFull: UInt8 = 0x01
        public static let commandData: UInt8 = 0x08  // the next 0x60 write is a command's parameter
        public static let keyboardEnabled: UInt8 = 0x10
    }

    public enum Control {
        public static let keyboardInterrupt: UInt8 = 0x01
        public static let postOK: UInt8 = 0x04
        public static let keyboardDisabled: UInt8 = 0x10
    }

    public enum Reply {
        public static let ack: UInt8 = 0xFA
        public static let selfTestPassed: UInt8 = 0x55
        public static let keyboardTestPassed: UInt8 = 0x00
        public static let keyboardResetPassed: UInt8 = 0xAA
    }

    /// Set-2 make codes: Ctrl, Alt, then the extended Delete key.
    public static let ctrlAltDel: [UInt8] = [0x14, 0x11, 0xE0, 0x71]

    struct State {
        var status: UInt8 = Status.keyboardEnabled
        var control: UInt8 = Control.postOK | Control.keyboardInterrupt
        var outputPort: UInt8 = 0x01  // bit 0: system reset line inactive
        var pendingCommand: UInt8 = 0
        var buffer: [UInt8] = []

        mutating func flush() {
            buffer.removeAll(keepingCapacity: true)
            status &= ~Status.outputFull
        }

        /// Queues a byte for port 0x60; false when the queue is full.
        mutating func push(_ byte: UInt8) -> Bool {
            guard buffer.count < I8042.bufferSize else { return false }
            buffer.append(byte)
            status |= Status.outputFull
            return true
        }

        mutating func pop() -> UInt8? {
            guard !buffer.isEmpty else { return nil }
            let byte = buffer.removeFirst()
            if buffer.isEmpty { status &= ~Status.outputFull }
            return byte
        }
    }

    private let state = Mutex(State())
    private let interrupt: any InterruptLine
    private let events: any PowerEvents

    public init(interrupt: any InterruptLine, events: any PowerEvents) {
        self.interrupt = interrupt
        self.events = events
    }

    public func reset() { state.withLock { $0 = State() } }

    /// Injects Ctrl-Alt-Del (the guest's keyboard driver turns it into a reboot or an orderly shutdown).
    /// Returns false, injecting nothing, when the queue lacks room for the four bytes.
    @discardableResult
    public func sendCtrlAltDel() -> Bool {
        state.withLock { state in
            guard I8042.bufferSize - state.buffer.count >= Self.ctrlAltDel.count else { return false }
            for byte in Self.ctrlAltDel {
                _ = state.push(byte)
                // One interrupt per key, as the keyboard would give; the extended prefix travels with Delete.
                if byte != 0xE0 { raiseKeyboardInterrupt(state) }
            }
            return true
        }
    }

    public func read(offset: UInt64, data: inout [UInt8]) {
        guard !data.isEmpty else { return }
        let value: UInt8 = state.withLock { state in
            switch offset {
            case Self.commandOffset:
                return state.status
            case Self.dataOffset:
                let byte = state.pop() ?? 0
                // More queued: tell the guest to read again.
                if state.status & Status.outputFull != 0 { raiseKeyboardInterrupt(state) }
                return byte
            default:
                return 0
            }
        }
        data[0] = value
        for index in data.indices.dropFirst() { data[index] = 0 }
    }

    public func write(offset: UInt64, data: [UInt8]) {
        guard let value = data.first else { return }
        let resetRequested: Bool = state.withLock { state in
            switch offset {
            case Self.commandOffset:
                return command(value, &state)
            case Self.dataOffset:
                dataWrite(value, &state)
                return false
            default:
                return false
            }
        }
        if resetRequested { events.resetRequested(by: .keyboardController) }
    }

    /// Handles a controller command; true when it asks for a CPU reset.
    private func command(_ value: UInt8, _ state: inout State) -> Bool {
        switch value {
        case Command.resetCPU:
            return true
        case Command.readControl:
            state.flush()
            _ = state.push(state.control)
        case Command.writeControl, Command.writeOutputPort:
            state.flush()
            state.status |= Status.commandData
            state.pendingCommand = value
        case Command.readOutputPort:
            state.flush()
            _ = state.push(state.outputPort)
        case Command.selfTest:
            state.flush()
            _ = state.push(Reply.selfTestPassed)
        case Command.keyboardInterfaceTest:
            state.flush()
            _ = state.push(Reply.keyboardTestPassed)
        case Command.disableKeyboard:
            state.control |= Control.keyboardDisabled
        case Command.enableKeyboard:
            state.control &= ~Control.keyboardDisabled
        default:
            break  // other commands (e.g. the aux port's) get no reply
        }
        return false
    }

    private func dataWrite(_ value: UInt8, _ state: inout State) {
        if state.status & Status.commandData != 0 {
            switch state.pendingCommand {
            case Command.writeControl: state.control = value
            case Command.writeOutputPort: state.outputPort = value
            default: break
            }
            state.status &= ~Status.commandData
            return
        }
        // A byte for the keyboard itself: acknowledge, plus the replies to identify and reset.
        state.flush()
        _ = state.push(Reply.ack)
        switch value {
        case 0xF2: _ = state.push(0xAB); _ = state.push(0x83)  // identify: MF2 keyboard
        case 0xFF: _ = state.push(Reply.keyboardResetPassed)  // reset: self-test passed
        default: break
        }
        raiseKeyboardInterrupt(state)
    }

    private func raiseKeyboardInterrupt(_ state: State) {
        guard state.control & Control.keyboardInterrupt != 0 else { return }
        interrupt.trigger()
    }
}
