import Foundation
import NetSwitch
import Testing

@Suite("The switch's stats file")
struct SwitchStatsJSONTests {
    static func counters(_ base: UInt64) -> PortCounters {
        var counters = PortCounters()
        counters.rxFrames = base
        counters.rxBytes = base * 1514
        counters.txFrames = base + 1
        counters.txBytes = UInt64.max
        counters.dropped = 3
        return counters
    }

    @Test("the hand-written JSON decodes with JSONDecoder to the same stats, names with quotes, control characters and non-ASCII included")
    func decodesWithFoundation() throws {
        let names = ["vm-a/0", "quote\"back\\slash", "line\nbreak\t\u{1}", "ünïcødé ✓", ""]
        let stats = SwitchStats(ports: Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, Self.counters(UInt64($0))) }),
                                learned: 7, pid: 4242)
        let decoded = try JSONDecoder().decode(SwitchStats.self, from: Data(stats.json))
        #expect(decoded.ports == stats.ports && decoded.learned == 7 && decoded.pid == 4242)
        let text = String(decoding: stats.json, as: UTF8.self)
        #expect(text.hasPrefix(#"{"learned":7,"pid":4242,"ports":{"":{"dropped":3,"rxBytes":6056,"rxFrames":4,"txBytes":18446744073709551615,"#), "\(text)")
        #expect(text.contains(#""line\nbreak\t\u0001""#), "\(text)")
    }

    @Test("no ports: an empty object")
    func empty() {
        let text = String(decoding: SwitchStats(ports: [:], learned: 0, pid: 1).json, as: UTF8.self)
        #expect(text == #"{"learned":0,"pid":1,"ports":{}}"#)
    }
}
