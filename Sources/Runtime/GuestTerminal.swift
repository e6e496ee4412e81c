import Foundation

/// An interactive session in the default guest (`vmctl exec -it`): the agent runs a script on a
/// pseudo-terminal under busybox telnetd, which relays it over the agent channel as telnet. `attach` relays
/// between this side's descriptors and that stream until the script ends, the user detaches, or a signal
/// comes. Leaving early hangs up the guest side: telnetd sees the channel close and the terminal's
/// processes get SIGHUP, and the agent goes back to serving requests.
public final class GuestTerminal {
    public struct WindowSize: Sendable, Equatable {
        public var columns: Int
        public var rows: Int

        public init(columns: Int, rows: Int) {
            self.columns = columns
            self.rows = rows
        }
    }

    /// How a session ended.
    public enum Outcome: Sendable, Equatable {
        /// The script ended with this exit status (nil: the agent could not learn it).
        case exited(Int32?)
        /// The detach key was pressed.
        case detached
        /// The input ended or the output could not be written: the terminal went away.
        case terminalClosed
        /// vmctl received this signal.
        case signal(Int32)
    }

    /// This side of the session.
    public struct Endpoints {
        /// What the user types; nil forwards nothing (a pseudo-terminal for output only).
        public var input: Int32?
        public var output: Int32
        /// Readable with one byte per signal received (a self-pipe): SIGWINCH sends the window size again,
        /// any other signal ends the session.
        public var signals: Int32
        /// A byte in the input that ends the session instead of reaching the guest.
        public var detachKey: UInt8?
        public var windowSize: () -> WindowSize?

        public init(input: Int32?, output: Int32, signals: Int32, detachKey: UInt8?, windowSize: @escaping () -> WindowSize?) {
            self.input = input
            self.output = output
            self.signals = signals
            self.detachKey = detachKey
            self.windowSize = windowSize
        }
    }

    /// Input read while this much is still unsent waits: a guest that stops reading holds the user back.
    static let maxUnsent = 64 << 10

    private let channel: AgentChannel
    private let id: UInt32
    private var decoder = TelnetDecoder()
    private var negotiator = TelnetNegotiator()
    private var unsent: [UInt8] = []
    /// busybox telnetd starts every session with its login banner's line break, even with an empty issue
    /// file (print_login_issue); that is not the command's output.
    private var bannerBreak = PrefixFilter(Array("\r\r\n".utf8))

    init(channel: AgentChannel, id: UInt32) {
        self.channel = channel
        self.id = id
    }

    /// Relays until the session ends, then hangs up and lets the next vmctl use the agent.
    public func attach(_ endpoints: Endpoints) throws -> Outcome {
        defer { channel.finish() }
        if let outcome = try received(Array(channel.takeBuffered()), endpoints) { return outcome }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let input = unsent.count < Self.maxUnsent ? endpoints.input ?? -1 : -1
            var fds = [pollfd(fd: channel.socket.fd, events: Int16(POLLIN) | (unsent.isEmpty ? 0 : Int16(POLLOUT)), revents: 0),
                       pollfd(fd: endpoints.signals, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: input, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                throw channel.failure("poll: \(String(cString: strerror(errno)))")
            }
            if fds[0].revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                let count = recv(channel.socket.fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                if count == 0 { throw channel.failure("the guest agent channel closed (did the VM stop?)") }
                if count < 0, errno != EAGAIN, errno != EINTR {
                    throw channel.failure("reading the guest agent channel: \(String(cString: strerror(errno)))")
                }
                if count > 0, let outcome = try received(buffer[..<count], endpoints) { return outcome }
            }
            if fds[1].revents != 0 {
                let count = read(endpoints.signals, &buffer, buffer.count)
                for signal in buffer[..<max(0, count)] {
                    guard Int32(signal) == SIGWINCH else { return .signal(Int32(signal)) }
                    queueWindowSize(endpoints)
                }
            }
            if fds[2].revents != 0 {
                let count = read(input, &buffer, buffer.count)
                if count < 0, errno == EAGAIN || errno == EINTR { continue }
                if count <= 0 { return .terminalClosed }
                let typed = buffer[..<count]
                if let key = endpoints.detachKey, let index = typed.firstIndex(of: key) {
                    unsent += Telnet.encode(typed[..<index])
                    try? flush()
                    return .detached
                }
                unsent += Telnet.encode(typed)
            }
            try flush()
        }
    }

    /// Handles bytes from the guest: output to the terminal, answers to negotiation, the end marker.
    private func received(_ bytes: some Sequence<UInt8>, _ endpoints: Endpoints) throws -> Outcome? {
        for event in decoder.feed(bytes) {
            switch event {
            case .data(let output):
                guard Self.writeAll(bannerBreak.filter(output), to: endpoints.output) else { return .terminalClosed }
            case .negotiation(let verb, let option):
                let answer = negotiator.answer(verb: verb, option: option)
                unsent += answer
                if !answer.isEmpty, option == Telnet.Option.windowSize, negotiator.sendsWindowSize {
                    queueWindowSize(endpoints)
                }
            case .subnegotiation(let option, let payload):
                if option == Telnet.Option.sessionEnd, let end = Self.parseEnd(payload), end.id == id { return .exited(end.status) }
            }
        }
        try flush()
        return nil
    }

    /// The agent's end marker, `TTYDONE ID EXIT` (EXIT "-": the agent could not learn it).
    static func parseEnd(_ payload: [UInt8]) -> (id: UInt32, status: Int32?)? {
        let fields = String(decoding: payload, as: UTF8.self).split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 3, fields[0] == "TTYDONE", let id = UInt32(fields[1]) else { return nil }
        return (id, Int32(fields[2]))
    }

    private func queueWindowSize(_ endpoints: Endpoints) {
        guard negotiator.sendsWindowSize, let size = endpoints.windowSize() else { return }
        unsent += Telnet.windowSize(columns: size.columns, rows: size.rows)
    }

    /// Sends what the channel takes now; the rest waits for the next POLLOUT.
    private func flush() throws {
        while !unsent.isEmpty {
            // The pointer covers `unsent`, whose count bounds the send.
            let sent = unsent.withUnsafeBytes { send(channel.socket.fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL)) }
            if sent > 0 { unsent.removeFirst(sent); continue }
            if sent < 0, errno == EAGAIN || errno == EINTR { return }
            throw channel.failure("writing the guest agent channel: \(String(cString: strerror(errno)))")
        }
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            if written <= 0 { return false }
            offset += written
        }
        return true
    }
}
