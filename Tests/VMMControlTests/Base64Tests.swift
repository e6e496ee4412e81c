import Foundation
import Testing
@testable import VMMControl

/// console-input's base64 against Foundation's `Data(base64Encoded:)` / `base64EncodedString()`, which the
/// protocol used before: the same text out, the same bytes (or refusal) in.
@Suite("Base64 matches Foundation's")
struct Base64Tests {
    /// A small deterministic generator (xorshift64*), so failures reproduce.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 0x2545_F491_4F6C_DD1D
        }
    }

    @Test("encoding: every length 0 to 64 of random bytes")
    func encoding() {
        var random = Generator(state: 0x9E37_79B9_7F4A_7C15)
        for length in 0...64 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            #expect(Base64.encode(bytes) == Data(bytes).base64EncodedString(), "length \(length)")
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
    }

    @Test("decoding: hand-picked edge cases")
    func edgeCases() {
        // Foundation agrees on all of these: padded groups only, unused low bits ignored ("YR==" is "a").
        let agreed = ["", "YQ==", "YWI=", "YWJj", "YR==", "cm9vdAo=", "+/8=", "YQ", "YQ=", "Y Q==", "YQ==\n", "YQ==YQ==", "-_8=",
                      "%%%", "Zm9v\u{e9}", "A==="]
        for text in agreed {
            #expect(Base64.decode(text) == Data(base64Encoded: text).map { [UInt8]($0) }, "\(text.debugDescription)")
        }
        // Foundation on Linux also takes "=" in odd places; console-input refuses these now.
        for text in ["YQ===", "====", "AB=C", "AA9/=", "BzAA/+=9"] {
            #expect(Base64.decode(text) == nil, "\(text.debugDescription)")
        }
    }

    @Test("decoding: 2,000 random padded strings give Foundation's bytes")
    func randomValidStrings() {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var random = Generator(state: 7)
        for _ in 0..<2000 {
            var text = (0..<Int(random.next() % 4) * 4).map { _ in alphabet[Int(random.next() % 64)] }
            switch random.next() % 3 {
            case 1: text += [alphabet[Int(random.next() % 64)], alphabet[Int(random.next() % 64)], UInt8(ascii: "="), UInt8(ascii: "=")]
            case 2: text += (0..<3).map { _ in alphabet[Int(random.next() % 64)] } + [UInt8(ascii: "=")]
            default: break
            }
            let string = String(decoding: text, as: UTF8.self)
            let ours = Base64.decode(string)
            #expect(ours != nil && ours == Data(base64Encoded: string).map { [UInt8]($0) }, "\(string.debugDescription)")
        }
    }

    @Test("decoding: never more lenient than Foundation, never different (2,000 random strings with strangers)")
    func randomStrings() {
        let characters = Array("AB+/=9z -_\n".utf8)
        var random = Generator(state: 42)
        for _ in 0..<2000 {
            let length = Int(random.next() % 13)
            let text = String(decoding: (0..<length).map { _ in characters[Int(random.next() % UInt64(characters.count))] }, as: UTF8.self)
            guard let ours = Base64.decode(text) else { continue }
            #expect(ours == Data(base64Encoded: text).map { [UInt8]($0) }, "\(text.debugDescription)")
        }
    }
}
