import Testing
import VMCtlModel

@Suite("Durations")
struct DurationTests {
    @Test("units and combinations parse", arguments: [
        ("90s", 90_000), ("2m", 120_000), ("1m30s", 90_000), ("500ms", 500), ("1h", 3_600_000), ("1h2m3s4ms", 3_723_004),
    ])
    func parses(_ text: String, _ milliseconds: Int64) {
        #expect(DurationParser.parse(text) == .success(.milliseconds(milliseconds)))
    }

    @Test("a number without unit is refused as ambiguous")
    func missingUnit() {
        #expect(DurationParser.parse("60") == .failure(.missingUnit))
    }

    @Test("bad durations are refused")
    func bad() {
        #expect(DurationParser.parse("") == .failure(.empty))
        #expect(DurationParser.parse("5d") == .failure(.unknownUnit("d")))
        #expect(DurationParser.parse("s") == .failure(.malformed))
        #expect(DurationParser.parse("1.5s") == .failure(.malformed))
        #expect(DurationParser.parse("99999999999h") == .failure(.tooLarge))
    }

    @Test("formatting round-trips")
    func format() {
        #expect(DurationParser.format(.milliseconds(90_000)) == "1m30s")
        #expect(DurationParser.format(.seconds(120)) == "2m")
        #expect(DurationParser.format(.milliseconds(1_500)) == "1s500ms")
        #expect(DurationParser.format(.zero) == "0s")
    }
}
