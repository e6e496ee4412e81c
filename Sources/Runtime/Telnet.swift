/// The slice of telnet (RFC 854, 855, 1073) that `vmctl exec -it` speaks with busybox telnetd in the guest:
/// user input as telnet data, the window size, and (in `TelnetDecoder`, `TelnetNegotiator`) parsing and
/// answering what the guest sends.
enum Telnet {
    static let iac: UInt8 = 255
    static let dont: UInt8 = 254
    static let `do`: UInt8 = 253
    static let wont: UInt8 = 252
    static let will: UInt8 = 251
    static let sb: UInt8 = 250
    static let se: UInt8 = 240

    enum Option {
        static let echo: UInt8 = 1
        static let suppressGoAhead: UInt8 = 3
        static let windowSize: UInt8 = 31
        /// Not a telnet option: the number the guest agent marks a session's end with, after telnetd has
        /// exited (unassigned, and busybox telnetd sends no subnegotiation at all).
        static let sessionEnd: UInt8 = 200
    }

    /// User input as telnet data: IAC doubled, and a carriage return sent as CR NUL (RFC 854's bare CR;
    /// busybox telnetd drops the NUL), so a CR LF the user types keeps its LF.
    static func encode(_ input: some Sequence<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(input.underestimatedCount + 8)
        for byte in input {
            out.append(byte)
            if byte == iac { out.append(iac) }
            if byte == 0x0D { out.append(0) }
        }
        return out
    }

    /// IAC SB NAWS width height IAC SE (RFC 1073). The RFC doubles a 255 inside the frame, but busybox telnetd
    /// reads the four bytes as they come; a byte of 255 is sent as 254 instead (one column or row fewer).
    static func windowSize(columns: Int, rows: Int) -> [UInt8] {
        func bytes(_ value: Int) -> [UInt8] {
            let clamped = UInt16(clamping: value)
            return [UInt8(clamped >> 8), UInt8(clamped & 0xFF)].map { $0 == iac ? iac - 1 : $0 }
        }
        return [iac, sb, Option.windowSize] + bytes(columns) + bytes(rows) + [iac, se]
    }
}
