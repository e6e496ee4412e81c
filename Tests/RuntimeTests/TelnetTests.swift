import Foundation
import Testing
@testable import Runtime

/// The telnet slice `vmctl exec -it` speaks with busybox telnetd: byte-exact frames, parsing that does not
/// depend on where reads split the stream, and answers that never loop.
@Suite("Telnet codec")
struct TelnetTests {
    let iac: UInt8 = 255

    /// What busybox telnetd 1.35 sends first (IAC DO ECHO, DO NAWS, WILL ECHO, WILL SGA), a line of output
    /// with an escaped 0xFF, and the agent's end marker whose payload holds an escaped 0xFF too.
    var session: [UInt8] {
        [iac, 253, 1, iac, 253, 31, iac, 251, 1, iac, 251, 3]
            + Array("\r\r\nab".utf8) + [iac, iac] + Array("c\r\n".utf8)
            + [iac, 241]                                   // NOP: means nothing
            + [iac, 250, 200] + Array("TTYDONE 7 3".utf8) + [iac, iac, iac, 240]
            + Array("\n".utf8)
    }

    var expected: [TelnetEvent] {
        [.negotiation(verb: 253, option: 1), .negotiation(verb: 253, option: 31),
         .negotiation(verb: 251, option: 1), .negotiation(verb: 251, option: 3),
         .data(Array("\r\r\nab".utf8) + [255] + Array("c\r\n".utf8)),
         .subnegotiation(option: 200, payload: Array("TTYDONE 7 3".utf8) + [255]),
         .data([0x0A])]
    }

    @Test("user input: IAC doubled, CR sent as CR NUL, other bytes as they are")
    func encode() {
        #expect(Telnet.encode(Array("ls\r".utf8)) == Array("ls\r".utf8) + [0])
        #expect(Telnet.encode([0xFF, 0x41, 0xFF, 0xFF]) == [0xFF, 0xFF, 0x41, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(Telnet.encode([0x0D, 0x0A, 0x00, 0x03, 0x1B]) == [0x0D, 0x00, 0x0A, 0x00, 0x03, 0x1B])
        #expect(Telnet.encode([]) == [])
    }

    @Test("NAWS: IAC SB 31 width height IAC SE, big-endian; a 255 byte is sent as 254 (busybox reads the bytes raw)")
    func windowSize() {
        #expect(Telnet.windowSize(columns: 80, rows: 24) == [255, 250, 31, 0, 80, 0, 24, 255, 240])
        #expect(Telnet.windowSize(columns: 300, rows: 255) == [255, 250, 31, 1, 44, 0, 254, 255, 240])
        #expect(Telnet.windowSize(columns: 511, rows: 65_535) == [255, 250, 31, 1, 254, 254, 254, 255, 240])
        #expect(Telnet.windowSize(columns: 70_000, rows: -1) == [255, 250, 31, 254, 254, 0, 0, 255, 240])
    }

    @Test("a whole session parses into output, negotiation and the end marker")
    func decodeWhole() {
        var decoder = TelnetDecoder()
        #expect(decoder.feed(session) == expected)
    }

    @Test("the same events whichever byte the reads split at, one byte at a time included")
    func decodeAcrossReads() {
        for cut in 1..<session.count {
            var decoder = TelnetDecoder()
            let events = decoder.feed(session[..<cut]) + decoder.feed(session[cut...])
            #expect(Self.mergingData(events) == expected, "split at byte \(cut)")
        }
        var decoder = TelnetDecoder()
        let bytewise = session.flatMap { decoder.feed([$0]) }
        #expect(Self.mergingData(bytewise) == expected)
    }

    @Test("a command where IAC SE belongs drops the broken subnegotiation and keeps the command")
    func brokenSubnegotiation() {
        var decoder = TelnetDecoder()
        let events = decoder.feed([iac, 250, 200, 0x41, iac, 251, 3, 0x42])
        #expect(events == [.negotiation(verb: 251, option: 3), .data([0x42])])
    }

    @Test("an endless subnegotiation is cut at its limit, and the stream goes on after IAC SE")
    func longSubnegotiation() {
        var decoder = TelnetDecoder()
        let events = decoder.feed([iac, 250, 200] + Array(repeating: 0x41, count: 10_000) + [iac, 240, 0x42])
        #expect(events == [.subnegotiation(option: 200, payload: Array(repeating: 0x41, count: TelnetDecoder.maxPayload)), .data([0x42])])
    }

    @Test("busybox's opening gets WONT ECHO, WILL NAWS, DO ECHO, DO SGA; then the window size may be sent")
    func negotiateBusyboxOpening() {
        var negotiator = TelnetNegotiator()
        #expect(negotiator.answer(verb: Telnet.do, option: 1) == [iac, 252, 1])
        #expect(!negotiator.sendsWindowSize)
        #expect(negotiator.answer(verb: Telnet.do, option: 31) == [iac, 251, 31])
        #expect(negotiator.sendsWindowSize)
        #expect(negotiator.answer(verb: Telnet.will, option: 1) == [iac, 253, 1])
        #expect(negotiator.answer(verb: Telnet.will, option: 3) == [iac, 253, 3])
        #expect(negotiator.guestOptions == [1, 3] && negotiator.ownOptions == [31])
    }

    @Test("no answer when nothing changes (no loops); unknown options refused; DONT/WONT switch options off once")
    func negotiateChanges() {
        var negotiator = TelnetNegotiator()
        _ = negotiator.answer(verb: Telnet.will, option: 1)
        _ = negotiator.answer(verb: Telnet.do, option: 31)
        #expect(negotiator.answer(verb: Telnet.will, option: 1) == [])
        #expect(negotiator.answer(verb: Telnet.do, option: 31) == [])
        #expect(negotiator.answer(verb: Telnet.do, option: 24) == [iac, 252, 24])      // terminal type
        #expect(negotiator.answer(verb: Telnet.will, option: 0) == [iac, 254, 0])      // binary
        #expect(negotiator.answer(verb: Telnet.dont, option: 31) == [iac, 252, 31])
        #expect(!negotiator.sendsWindowSize)
        #expect(negotiator.answer(verb: Telnet.dont, option: 31) == [])
        #expect(negotiator.answer(verb: Telnet.wont, option: 1) == [iac, 254, 1])
        #expect(negotiator.answer(verb: Telnet.wont, option: 1) == [])
        #expect(negotiator.answer(verb: Telnet.wont, option: 3) == [])
    }

    @Test("the banner's line break is dropped however it is split; other output passes whole, held bytes included")
    func prefixFilter() {
        let prefix = Array("\r\r\n".utf8)
        for cut in 0...4 {
            var filter = PrefixFilter(prefix)
            let stream = prefix + Array("x".utf8)
            #expect(filter.filter(Array(stream[..<cut])) + filter.filter(Array(stream[cut...])) == Array("x".utf8), "cut \(cut)")
        }
        var partial = PrefixFilter(prefix)
        #expect(partial.filter(Array("\r\r".utf8)) == [])
        #expect(partial.filter(Array("ok\r\r\n".utf8)) == Array("\r\rok\r\r\n".utf8))
        var other = PrefixFilter(prefix)
        #expect(other.filter(Array("hi".utf8)) == Array("hi".utf8))
        #expect(other.filter(prefix) == prefix, "only the start of the stream is filtered")
    }

    /// Adjacent data events joined: how output is split into events depends on the reads, its bytes do not.
    static func mergingData(_ events: [TelnetEvent]) -> [TelnetEvent] {
        var merged: [TelnetEvent] = []
        for event in events {
            if case .data(let more) = event, case .data(let before)? = merged.last {
                merged[merged.count - 1] = .data(before + more)
            } else {
                merged.append(event)
            }
        }
        return merged
    }
}
