import Foundation
import Testing
@testable import VMMControl

/// `stats` with per-NIC counters: VMMControl's codec and Foundation's JSONDecoder (the runtime's) read the same
/// `VMStats`, a result from a VMM older than `nets` still decodes, and a bad NIC entry names its field.
@Suite("VMStats nets: decoding, old results, errors")
struct VMStatsCodingTests {
    static let twoNICs = VMStats(
        vcpus: [.init(index: 0, exits: 500)], exitsByReason: ["io-out": 400, "mmio-write": 100], unknownPortIO: 2,
        residentBytes: 9_650_176,
        nets: [.init(index: 0, backend: .switch, framesIn: 3, bytesIn: 180, framesOut: 1, bytesOut: 60, invalidChains: 1,
                     drops: ["tx-oversize": 1, "rx-queue-full": 3]),
               .init(index: 1, backend: .tap)])

    static let oldResult = #"{"id":4,"ok":true,"result":{"vcpus":[{"index":0,"exits":7}],"exitsByReason":{"hlt":7},"unknownPortIO":0,"residentBytes":4096}}"#

    /// The `result` of a response line, decoded by Foundation's JSONDecoder as the runtime would.
    static func foundationResult(_ line: String) throws -> VMStats {
        struct Payload: Decodable { var result: VMStats }
        return try JSONDecoder().decode(Payload.self, from: Data(line.utf8)).result
    }

    @Test("a result without nets (an older VMM) decodes as no NICs with both decoders")
    func oldResultDecodes() throws {
        let expected = VMStats(vcpus: [.init(index: 0, exits: 7)], exitsByReason: ["hlt": 7], unknownPortIO: 0, residentBytes: 4096)
        let ours = try ControlResponse.decode(Array(Self.oldResult.utf8), for: .stats)
        #expect(ours == .success(id: 4, .stats(expected)))
        #expect(try Self.foundationResult(Self.oldResult) == expected)
        let explicitNull = Self.oldResult.replacingOccurrences(of: #""residentBytes":4096"#, with: #""residentBytes":4096,"nets":null"#)
        #expect(try Self.foundationResult(explicitNull).nets == [])
        #expect(try ControlResponse.decode(Array(explicitNull.utf8), for: .stats) == .success(id: 4, .stats(expected)))
    }

    @Test("NIC counters round-trip through VMMControl's codec and through JSONEncoder/JSONDecoder alike")
    func nicsRoundTrip() throws {
        let response = ControlResponse.success(id: 5, .stats(Self.twoNICs))
        let line = String(decoding: try ControlCodec.line(response), as: UTF8.self)
        #expect(line.contains(#""nets":[{"backend":"switch","bytesIn":180,"bytesOut":60,"drops":{"rx-queue-full":3,"tx-oversize":1},"#))
        #expect(line.contains(#"{"backend":"tap","bytesIn":0,"bytesOut":0,"drops":{},"framesIn":0,"framesOut":0,"index":1,"invalidChains":0}"#))
        #expect(try ControlResponse.decode(Array(line.utf8), for: .stats) == response)
        #expect(try Self.foundationResult(line) == Self.twoNICs)
        // A VM without NICs says so: "nets":[] rather than leaving the field out.
        let none = String(decoding: try ControlCodec.line(ControlResponse.success(id: 6, .stats(FakeHandler.stats))), as: UTF8.self)
        #expect(none.contains(#""nets":[]"#))
    }

    @Test("a backend or drop reason from a newer VMM is kept, not a decoding failure")
    func openSets() throws {
        let line = Self.oldResult.replacingOccurrences(
            of: #""residentBytes":4096"#,
            with: #""residentBytes":4096,"nets":[{"index":0,"backend":"vhost-user","framesIn":0,"bytesIn":0,"framesOut":0,"bytesOut":0,"invalidChains":0,"drops":{"tx-future":2}}]"#)
        for stats in [try Self.foundationResult(line), try ControlResponse.decode(Array(line.utf8), for: .stats).statsResult] {
            #expect(stats?.nets.first?.backend == VMStats.Backend(rawValue: "vhost-user"))
            #expect(stats?.nets.first?.drops == ["tx-future": 2])
        }
    }

    static let malformedNets: [(nets: String, message: String)] = [
        (#"[{"index":0,"backend":"switch","framesIn":"1","bytesIn":0,"framesOut":0,"bytesOut":0,"invalidChains":0,"drops":{}}]"#,
         "nets[0].framesIn: expected a number"),
        (#"[{"index":0,"backend":"tap","framesIn":0,"bytesIn":0,"framesOut":0,"bytesOut":0,"invalidChains":0,"drops":{}},{"index":1,"backend":"tap","framesIn":0,"bytesIn":0,"framesOut":0,"bytesOut":0,"invalidChains":0}]"#,
         "nets[1].drops: required field is missing"),
        (#"[{"index":0,"backend":"switch","framesIn":0,"bytesIn":0,"framesOut":0,"bytesOut":0,"invalidChains":0,"drops":{"rx-undersize":true}}]"#,
         "nets[0].drops.rx-undersize: expected a number"),
        (#"{"index":0}"#, "nets: expected an array"),
    ]

    @Test("a malformed NIC entry is a protocol violation naming the field, as JSONDecoder names it", arguments: 0..<malformedNets.count)
    func malformed(_ index: Int) throws {
        let (nets, message) = Self.malformedNets[index]
        let line = Self.oldResult.replacingOccurrences(of: #""residentBytes":4096"#, with: #""residentBytes":4096,"nets":"# + nets)
        let ours = #expect(throws: VMMControlError.self) { try ControlResponse.decode(Array(line.utf8), for: .stats) }
        #expect(ours == .protocolViolation("response to stats does not decode: result.\(message)"))
        let theirs = #expect(throws: DecodingError.self) { try Self.foundationResult(line) }
        #expect(theirs.map(DecodingErrorText.describe) == "result.\(message)")
    }
}

extension ControlResponse {
    /// The decoded `VMStats`, or nil for any other outcome.
    var statsResult: VMStats? {
        guard case .success(.stats(let stats)) = outcome else { return nil }
        return stats
    }
}
