/// Standard base64 (RFC 4648 §4, padded) for console-input's `data`: length a multiple of 4, `=` only as the
/// last one or two characters, no whitespace; unused low bits of the last character are ignored. Valid text
/// decodes as Foundation's `Data(base64Encoded:)` decoded it; a few malformed strings that Foundation on Linux
/// took (`YQ===`, `AB=C`: `=` in odd places) are refused.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// The 6-bit value of each alphabet byte, 0xFF for every other byte.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(value) }
        return table
    }()

    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let count = min(3, bytes.count - index)
            let b0 = UInt32(bytes[index])
            let b1 = count > 1 ? UInt32(bytes[index + 1]) : 0
            let b2 = count > 2 ? UInt32(bytes[index + 2]) : 0
            let group = b0 << 16 | b1 << 8 | b2
            output.append(alphabet[Int(group >> 18 & 63)])
            output.append(alphabet[Int(group >> 12 & 63)])
            output.append(count > 1 ? alphabet[Int(group >> 6 & 63)] : UInt8(ascii: "="))
            output.append(count > 2 ? alphabet[Int(group & 63)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// The bytes `text` encodes, or nil when it is not padded base64.
    static func decode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 4 == 0 else { return nil }
        var padding = 0
        if characters.last == UInt8(ascii: "=") { padding += 1 }
        if characters.count >= 2, characters[characters.count - 2] == UInt8(ascii: "=") { padding += 1 }
        var output: [UInt8] = []
        output.reserveCapacity(characters.count / 4 * 3)
        var group: UInt32 = 0
        for (position, character) in characters[..<(characters.count - padding)].enumerated() {
            let value = values[Int(character)]
            guard value != 0xFF else { return nil }
            group = group << 6 | UInt32(value)
            if position % 4 == 3 {
                output += [UInt8(group >> 16 & 0xFF), UInt8(group >> 8 & 0xFF), UInt8(group & 0xFF)]
                group = 0
            }
        }
        switch padding {
        case 1: output += [UInt8(group >> 10 & 0xFF), UInt8(group >> 2 & 0xFF)]
        case 2: output.append(UInt8(group >> 4 & 0xFF))
        default: break
        }
        return output
    }
}
