/// What the guest sends, split into terminal output and telnet commands.
enum TelnetEvent: Equatable {
    case data([UInt8])
    /// WILL, WONT, DO or DONT and the option.
    case negotiation(verb: UInt8, option: UInt8)
    case subnegotiation(option: UInt8, payload: [UInt8])
}

/// Parses a telnet stream fed in pieces of any size: a command split across two reads comes out whole.
struct TelnetDecoder {
    private enum State {
        case data
        case command                   // after IAC
        case option(verb: UInt8)       // after IAC WILL/WONT/DO/DONT
        case subnegotiationOption      // after IAC SB
        case subnegotiation            // inside IAC SB option … IAC SE
        case subnegotiationCommand     // after IAC inside a subnegotiation
    }

    /// A subnegotiation longer than this is cut short: only the agent's short end marker is expected.
    static let maxPayload = 4096

    private var state = State.data
    private var option: UInt8 = 0
    private var payload: [UInt8] = []

    mutating func feed(_ bytes: some Sequence<UInt8>) -> [TelnetEvent] {
        var events: [TelnetEvent] = []
        var data: [UInt8] = []
        func emit(_ event: TelnetEvent) {
            if !data.isEmpty { events.append(.data(data)); data = [] }
            events.append(event)
        }
        for byte in bytes {
            switch state {
            case .data:
                if byte == Telnet.iac { state = .command } else { data.append(byte) }
            case .command:
                state = command(byte, data: &data)
            case .option(let verb):
                emit(.negotiation(verb: verb, option: byte))
                state = .data
            case .subnegotiationOption:
                option = byte
                payload = []
                state = .subnegotiation
            case .subnegotiation:
                if byte == Telnet.iac { state = .subnegotiationCommand } else { append(byte) }
            case .subnegotiationCommand:
                if byte == Telnet.se {
                    emit(.subnegotiation(option: option, payload: payload))
                    payload = []
                    state = .data
                } else if byte == Telnet.iac {
                    append(byte)
                    state = .subnegotiation
                } else {
                    // A command where IAC SE belongs: the subnegotiation is broken; drop it, keep the command.
                    payload = []
                    state = command(byte, data: &data)
                }
            }
        }
        if !data.isEmpty { events.append(.data(data)) }
        return events
    }

    /// The state after IAC and `byte`; an escaped IAC is data, other two-byte commands (NOP, GA…) mean nothing here.
    private func command(_ byte: UInt8, data: inout [UInt8]) -> State {
        switch byte {
        case Telnet.iac: data.append(Telnet.iac); return .data
        case Telnet.will, Telnet.wont, Telnet.do, Telnet.dont: return .option(verb: byte)
        case Telnet.sb: return .subnegotiationOption
        default: return .data
        }
    }

    private mutating func append(_ byte: UInt8) {
        if payload.count < Self.maxPayload { payload.append(byte) }
    }
}
