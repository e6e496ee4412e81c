import Testing
@testable import VMMControl

@Suite("LineBuffer splits a stream into bounded lines")
struct LineBufferTests {
    func events(_ chunks: [String], limit: Int = 8) -> [LineBuffer.Event] {
        var buffer = LineBuffer(limit: limit)
        var out: [LineBuffer.Event] = []
        for chunk in chunks {
            buffer.append(Array(chunk.utf8)[...])
            while let event = buffer.next() { out.append(event) }
        }
        return out
    }

    @Test("lines across chunks, CRLF, blank lines skipped")
    func lines() {
        #expect(events(["ab", "c\nde\r\n", "\n", "f"]) == [.line(Array("abc".utf8)), .line(Array("de".utf8))])
    }

    @Test("an oversize line is reported once, at once, and skipped to its newline")
    func oversize() {
        var buffer = LineBuffer(limit: 4)
        buffer.append(Array("12345".utf8)[...])
        #expect(buffer.next() == .tooLong)
        #expect(buffer.next() == nil)
        #expect(buffer.hasPartialLine)
        buffer.append(Array("6789\nok\n".utf8)[...])
        #expect(buffer.next() == .line(Array("ok".utf8)))
        #expect(!buffer.hasPartialLine)
    }

    @Test("exactly the limit is fine")
    func atLimit() {
        #expect(events(["12345678\n"]) == [.line(Array("12345678".utf8))])
        #expect(events(["123456789\n"]) == [.tooLong])
    }
}
