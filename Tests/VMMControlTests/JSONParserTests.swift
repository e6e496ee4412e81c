import Foundation
import Testing
@testable import VMMControl

/// JSONParser against Foundation's JSONDecoder (what VMMControl used before): the same values for valid text,
/// a refusal for the same invalid text.
@Suite("JSONParser reads what JSONDecoder reads")
struct JSONParserTests {
    static let agreed: [String] = [
        // literals, numbers
        "null", "true", "false", "0", "-0", "7", "-12", "1.0", "-0.0", "1e2", "1E+2", "2.5e-3", "-1.5",
        "9223372036854775807", "-9223372036854775808", "9223372036854775808", "123456789012345678901234567890",
        "100000000000000000000e-5", "0.1", "1e308", "-9223372036854775809", "1.5e3", "-0e999999999999999999999",
        // strings
        #""""#, #""plain""#, #""a\"b\\c\/d""#, #""\b\f\n\r\t""#, #""\u0041\u00e9\u20ac""#, #""\ud83d\ude00""#,
        "\"é€😀\"", "\"\u{7F}\"", #""\u0000""#,
        // structures, whitespace, duplicate keys, BOM
        "[]", "{}", " [ 1 , [ 2 , [ ] ] , { } ] ", #"{"a":{"b":[null,true,{"c":"d"}]}}"#, "\t\n\r {\"k\" :\n1}\n",
        #"{"a":1,"a":2}"#, "\u{FEFF}{\"a\":1}",
        #"{"version":1,"id":7,"command":"console-input","data":"cm9vdAo="}"#,
        // invalid
        "", " ", "nul", "tru", "True", "NaN", "Infinity", "-", "+1", "01", "-01", "1.", ".5", "1e", "1e+", "0x10", "1e400",
        #""unterminated"#, #""bad \x escape""#, #""\u12""#, #""\uZZZZ""#, #""\ud83d""#, #""\ude00""#, #""\ud83d\u0041""#,
        "\"tab\there\"", "\"new\nline\"", "[1,2", "[1 2]", "{\"a\" 1}", "{\"a\":}", "{a:1}", "{'a':1}", "{\"a\":1}}",
        "[1]x", "{} {}", "[,1]", "{,}", "/* comment */ 1",
    ]

    @Test("same value or same refusal as JSONDecoder", arguments: agreed)
    func agrees(_ text: String) {
        let ours = try? JSONParser.parse(Array(text.utf8))
        let theirs = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(ours == theirs)
    }

    @Test("bytes that are not UTF-8 are refused inside and outside strings")
    func invalidUTF8() {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x5B, 0xFF, 0x5D]] {
            #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(bytes) }
            #expect((try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))) == nil)
        }
    }

    @Test("whole numbers are integers however they are written; others are doubles")
    func numbers() throws {
        #expect(try JSONParser.parse(Array("7.0".utf8)) == .integer(7))
        #expect(try JSONParser.parse(Array("-3e0".utf8)) == .integer(-3))
        #expect(try JSONParser.parse(Array("2.5".utf8)) == .number(2.5))
        #expect(try JSONParser.parse(Array("9223372036854775808".utf8)) == .number(9_223_372_036_854_775_808))
        #expect(try JSONParser.parse(Array("-9223372036854775809".utf8)) == .number(-9_223_372_036_854_775_808))
        #expect(try JSONParser.parse(Array("9007199254740993.0".utf8)) == .integer(9_007_199_254_740_993))
        #expect(try JSONParser.parse(Array("-92233720368547758.08e2".utf8)) == .integer(Int.min))
        #expect(try JSONParser.parse(Array("1e-400".utf8)) == .number(0))
    }

    @Test("the first of duplicate keys wins, as in JSONDecoder")
    func duplicateKeys() throws {
        #expect(try JSONParser.parse(Array(#"{"id":1,"id":2}"#.utf8)) == .object(["id": .integer(1)]))
    }

    @Test("trailing commas are refused (JSONDecoder accepts them; no JSON writer emits them)")
    func trailingCommas() {
        for text in ["[1,]", #"{"a":1,}"#] {
            #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(Array(text.utf8)) }
        }
    }

    @Test("nesting is bounded: 512 levels parse, 513 are refused without recursing further")
    func depth() throws {
        let deepest = String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        #expect(throws: Never.self) { try JSONParser.parse(Array(deepest.utf8)) }
        let tooDeep = String(repeating: "[", count: 60_000)
        let error = #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(Array(tooDeep.utf8)) }
        #expect(error?.offset == JSONParser.maxDepth)
        #expect(error?.reason == "nested deeper than 512 levels")
    }

    @Test("errors say where: the byte offset of the problem")
    func offsets() {
        let error = #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(Array(#"{"a": tru}"#.utf8)) }
        #expect(error?.offset == 6)
        let unterminated = #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(Array(#"[1, "ab"#.utf8)) }
        #expect(unterminated?.description == "byte 4: unterminated string")
    }
}
