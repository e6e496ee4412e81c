import Foundation
import Testing
@testable import VMM
import VMMControl
@testable import VMMDevices

/// How VirtioNetStats become `stats` entries, and the drop reasons' names in code, schema and doc agreeing.
@Suite("stats NIC entries and drop reason names")
struct NetStatsNamesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("counters carry over by name; zero drops are left out; huge counters saturate; backend from the spec")
    func entryFromCounters() {
        var counters = VirtioNetStats()
        counters.framesIn = 3
        counters.bytesIn = 180
        counters.framesOut = 2
        counters.bytesOut = UInt64.max
        counters.invalidChains = 4
        counters.drop(.txOversize)
        counters.drop(.rxQueueFull, count: 3)
        counters.drop(.rxNotReady, count: 0)
        let tap = VMStats.Net(index: 2, spec: .init(mac: "52:54:00:00:00:01", tap: "vt0"), counters: counters)
        #expect(tap == .init(index: 2, backend: .tap, framesIn: 3, bytesIn: 180, framesOut: 2, bytesOut: Int.max,
                             invalidChains: 4, drops: ["tx-oversize": 1, "rx-queue-full": 3]))
        let onSwitch = VMStats.Net(index: 0, spec: .init(mac: "52:54:00:00:00:02", switchSocket: "/s.sock"), counters: VirtioNetStats())
        #expect(onSwitch == .init(index: 0, backend: .switch))
    }

    @Test("every VirtioNetDrop is in the schema's drop reasons and the doc's table, and nothing else is")
    func reasonNames() throws {
        let code = Set(VirtioNetDrop.allCases.map(\.rawValue))
        #expect(code.count == 14)

        let schemaData = try Data(contentsOf: Self.root.appendingPathComponent("schemas/control.v1.json"))
        let schema = try #require(JSONSerialization.jsonObject(with: schemaData) as? [String: Any])
        let defs = schema["$defs"] as? [String: Any]
        let properties = (defs?["netStats"] as? [String: Any])?["properties"] as? [String: Any]
        let names = ((properties?["drops"] as? [String: Any])?["propertyNames"] as? [String: Any])?["enum"] as? [String]
        #expect(Set(try #require(names)) == code)

        let doc = try String(contentsOf: Self.root.appendingPathComponent("docs/control-protocol.md"), encoding: .utf8)
        let documented = doc.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `tx-") || line.hasPrefix("| `rx-") else { return nil }
            return line.dropFirst(3).split(separator: "`").first.map(String.init)
        }
        #expect(documented.count == code.count, "a reason is documented twice: \(documented)")
        #expect(Set(documented) == code)
    }
}
