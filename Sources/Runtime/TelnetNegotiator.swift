/// What vmctl agrees to: the guest echoes and suppresses go-ahead (a character at a time, no local echo), and
/// vmctl reports its window size; everything else is refused. It answers only when an option's state changes,
/// so two ends that keep confirming each other cannot loop (RFC 1143).
struct TelnetNegotiator {
    static let acceptedFromGuest: Set<UInt8> = [Telnet.Option.echo, Telnet.Option.suppressGoAhead]
    static let offeredByVMCtl: Set<UInt8> = [Telnet.Option.windowSize]

    /// Options the guest performs, and options vmctl performs, as agreed so far.
    private(set) var guestOptions: Set<UInt8> = []
    private(set) var ownOptions: Set<UInt8> = []

    var sendsWindowSize: Bool { ownOptions.contains(Telnet.Option.windowSize) }

    /// The answer to one WILL, WONT, DO or DONT: bytes to send, possibly none.
    mutating func answer(verb: UInt8, option: UInt8) -> [UInt8] {
        switch verb {
        case Telnet.will:
            guard Self.acceptedFromGuest.contains(option) else { return [Telnet.iac, Telnet.dont, option] }
            return guestOptions.insert(option).inserted ? [Telnet.iac, Telnet.do, option] : []
        case Telnet.wont:
            return guestOptions.remove(option) != nil ? [Telnet.iac, Telnet.dont, option] : []
        case Telnet.do:
            guard Self.offeredByVMCtl.contains(option) else { return [Telnet.iac, Telnet.wont, option] }
            return ownOptions.insert(option).inserted ? [Telnet.iac, Telnet.will, option] : []
        case Telnet.dont:
            return ownOptions.remove(option) != nil ? [Telnet.iac, Telnet.wont, option] : []
        default:
            return []
        }
    }
}
