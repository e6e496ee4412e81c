import Foundation
import Testing
@testable import VMMControl

/// VMMControl's own JSON encoding and decoding against Foundation's JSONEncoder/JSONDecoder, which the runtime
/// still uses with the same Codable types: the wire bytes and the decoding errors must not change.
@Suite("ControlCodec and JSONValueDecoder match JSONEncoder and JSONDecoder")
struct JSONCodingTests {
    static func foundationLine(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return [UInt8](try encoder.encode(value)) + [UInt8(ascii: "\n")]
    }

    /// Every character class the string writer treats differently.
    static let awkward = "q\"b\\s/c\u{0}\u{1}\u{8}\t\n\u{B}\u{C}\r\u{1F} \u{7F}é\u{2028}😀"

    static let spec = LaunchSpec(
        name: "shop/web-0 \(awkward)", vcpus: 2, memoryMiB: 512, kernel: "/var/lib/vmctl/vmlinuz", initrd: "/i/initrd.img",
        cmdline: "console=ttyS0 reboot=k", disks: [.init(path: "/v/a.img", readOnly: true), .init(path: "/v/b.img", readOnly: false)],
        nets: [.init(mac: "52:54:00:00:00:01", tap: "vmtap0"), .init(mac: "52:54:00:00:00:02", switchSocket: "/run/sw.sock")],
        consoleLog: "/s/console.log", controlSocket: "/s/control.sock", serialInput: true)

    @Test("requests: the same bytes as JSONEncoder", arguments: MessageRoundTripTests.commands)
    func requests(_ command: ControlCommand) throws {
        let request = ControlRequest(id: 41, command: command)
        #expect(try ControlCodec.line(request) == Self.foundationLine(request))
    }

    @Test("responses: the same bytes as JSONEncoder", arguments: 0..<MessageRoundTripTests.responses.count)
    func responses(_ index: Int) throws {
        let response = MessageRoundTripTests.responses[index].1
        #expect(try ControlCodec.line(response) == Self.foundationLine(response))
    }

    @Test("launch specs, capabilities and awkward strings: the same bytes as JSONEncoder")
    func otherMessages() throws {
        var minimal = Self.spec
        minimal.initrd = nil
        minimal.disks = []
        minimal.nets = []
        #expect(try ControlCodec.line(Self.spec) == Self.foundationLine(Self.spec))
        #expect(try ControlCodec.line(minimal) == Self.foundationLine(minimal))
        let capabilities = VMMCapabilities(version: "0.1.0", boot: false, reason: Self.awkward)
        #expect(try ControlCodec.line(capabilities) == Self.foundationLine(capabilities))
        let error = ControlResponse.failure(id: 3, ControlError(.failed, Self.awkward))
        #expect(try ControlCodec.line(error) == Self.foundationLine(error))
        let keys = ["b": 1, "a10": 2, "a9": 3, "B": 4, "_x": 5, "a": 6, "aa": 7, "hlt": 8, "io": 9]
        #expect(try ControlCodec.line(keys) == Self.foundationLine(keys))
        let numbers = [0, -1, Int.max, Int.min]
        #expect(try ControlCodec.line(numbers) == Self.foundationLine(numbers))
    }

    @Test("doubles: the same bytes as JSONEncoder, -2^63 (abs trapped on it), 2^53 and -0 included")
    func doubles() throws {
        let numbers: [Double] = [-9_223_372_036_854_775_808, 9_223_372_036_854_775_808, 9_007_199_254_740_992, -9_007_199_254_740_992,
                                 -0.0, 0, 100, 1.5, 0.1, 1e-7, 1e16, 1e300, -.greatestFiniteMagnitude, .leastNonzeroMagnitude]
        #expect(try ControlCodec.line(numbers) == Self.foundationLine(numbers))
        #expect(String(decoding: try ControlCodec.line([-0.0, 9_007_199_254_740_992]), as: UTF8.self) == "[-0,9007199254740992]\n")
    }

    @Test("a spec written by JSONEncoder (as the runtime writes it) loads back equal, nets included")
    func specRoundTrip() throws {
        let text = [UInt8](try JSONEncoder().encode(Self.spec))
        #expect(try JSONValueDecoder.decode(LaunchSpec.self, from: text) == Self.spec)
    }

    static let malformedSpecs: [String] = [
        #"{"version":1,"name":7}"#,
        #"{"version":1,"name":null}"#,
        #"{"version":1,"name":"a","vcpus":"2"}"#,
        #"{"version":1,"name":"a","vcpus":true}"#,
        #"{"version":1,"name":"a","vcpus":1,"memoryMiB":64,"kernel":"/k","cmdline":"","disks":{}}"#,
        #"{"version":1,"name":"a","vcpus":1,"memoryMiB":64,"kernel":"/k","cmdline":"","disks":[7]}"#,
        #"{"version":1,"name":"a","vcpus":1,"memoryMiB":64,"kernel":"/k","cmdline":"","disks":[{"path":"/d"}]}"#,
        #"{"version":1,"name":"a","vcpus":1,"memoryMiB":64,"kernel":"/k","cmdline":"","disks":[null]}"#,
        #"{"version":1,"name":"a","vcpus":1,"memoryMiB":64,"kernel":"/k","cmdline":"","disks":[],"nets":[{"mac":"m"},{"mac":5}]}"#,
        #"{"version":1,"name":"a","vcpus":1,"memoryMiB":64,"kernel":"/k","cmdline":"","disks":[],"nets":[{"mac":"m","tap":[]}]}"#,
        #"{"version":1,"name":"a","vcpus":1,"memoryMiB":64,"kernel":"/k","cmdline":"","disks":[],"consoleLog":"/c","controlSocket":"/s"}"#,
        #"{"version":1,"name":"a","vcpus":1,"memoryMiB":64,"kernel":"/k","initrd":false,"cmdline":"","disks":[]}"#,
        #"[1]"#,
        #""spec""#,
    ]

    @Test("decoding errors read the same as JSONDecoder's (field path and expected kind)", arguments: malformedSpecs)
    func decodingErrors(_ text: String) throws {
        let ours = #expect(throws: DecodingError.self) { try JSONValueDecoder.decode(LaunchSpec.self, from: Array(text.utf8)) }
        let theirs = #expect(throws: DecodingError.self) { try JSONDecoder().decode(LaunchSpec.self, from: Data(text.utf8)) }
        guard let ours, let theirs else { return }
        #expect(DecodingErrorText.describe(ours) == DecodingErrorText.describe(theirs))
    }

    @Test("integers: 2.0 and 2e0 are 2 (as in JSONDecoder); 2.5 and 2^63 are refused, naming the field")
    func integers() throws {
        struct Count: Decodable, Equatable { var n: Int }
        #expect(try JSONValueDecoder.decode(Count.self, from: Array(#"{"n":2.0}"#.utf8)) == Count(n: 2))
        #expect(try JSONValueDecoder.decode(Count.self, from: Array(#"{"n":2e0}"#.utf8)) == Count(n: 2))
        for text in [#"{"n":2.5}"#, #"{"n":9223372036854775808}"#] {
            let error = #expect(throws: DecodingError.self) { try JSONValueDecoder.decode(Count.self, from: Array(text.utf8)) }
            #expect(error.map(DecodingErrorText.describe)?.hasPrefix("n: Parsed JSON number") == true)
        }
        struct Small: Decodable { var n: UInt8 }
        #expect(throws: DecodingError.self) { try JSONValueDecoder.decode(Small.self, from: Array(#"{"n":256}"#.utf8)) }
    }

    /// Past 2^53 a Double's spacing is 2 or more, so a number read through one may come out as a whole neighbour
    /// of the text (-9223372036854775809 as Int.min, 4503599627370497.5 as 4503599627370498): refused instead.
    @Test("integers beyond Int and fractions are refused, not rounded to a neighbour",
          arguments: ["-9223372036854775809", "4503599627370497.5", "9223372036854775809", "18446744073709551615"])
    func roundedIntegers(_ number: String) throws {
        struct Wide: Decodable { var n: Int64 }
        struct Unsigned: Decodable { var n: UInt64 }
        let text = Array(#"{"n":\#(number)}"#.utf8)
        let signed = #expect(throws: DecodingError.self) { try JSONValueDecoder.decode(Wide.self, from: text) }
        #expect(signed.map(DecodingErrorText.describe)?.hasPrefix("n: Parsed JSON number") == true)
        #expect(throws: DecodingError.self) { try JSONValueDecoder.decode(Unsigned.self, from: text) }
    }

    @Test("Int64's extremes and whole numbers past 2^53 however written decode exactly")
    func exactIntegers() throws {
        struct Wide: Decodable { var n: Int64 }
        for (text, value) in [("9223372036854775807", Int64.max), ("-9223372036854775808", Int64.min),
                              ("-9223372036854775808.0", Int64.min), ("9007199254740993.0", 9_007_199_254_740_993),
                              ("-90071992547409930e-1", -9_007_199_254_740_993),
                              ("1e15", 1_000_000_000_000_000)] {
            #expect(try JSONValueDecoder.decode(Wide.self, from: Array(#"{"n":\#(text)}"#.utf8)).n == value)
        }
    }

    @Test("text that is not JSON is a dataCorrupted error with an empty path (\"not valid JSON\" in the spec loader)")
    func notJSON() {
        let error = #expect(throws: DecodingError.self) { try JSONValueDecoder.decode(LaunchSpec.self, from: Array("vcpus: 2".utf8)) }
        guard case .dataCorrupted(let context)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(context.codingPath.isEmpty)
    }
}
