/// A compressed EISA id (ACPI §19.6.35 EISAID): three letters as 5-bit fields (letter − 0x40) and four hex
/// digits, stored big-endian in a DWord: "PNP0501" → bytes 41 D0 05 01.
public struct EisaID: Equatable, Hashable, Sendable, CustomStringConvertible {
    public let text: String
    /// The value as the DWord the AML integer carries (little-endian in the table).
    public let value: UInt32

    public init(_ text: String) throws(ACPIError) {
        let chars = Array(text.utf8)
        guard chars.count == 7,
              chars[0..<3].allSatisfy({ $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }),
              let digits = UInt32(String(decoding: chars[3..<7], as: UTF8.self), radix: 16),
              chars[3..<7].allSatisfy({ $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "-") })
        else { throw .invalidEisaID(text) }
        let letters = chars[0..<3].map { UInt32($0 - 0x40) }
        let vendor = letters[0] << 10 | letters[1] << 5 | letters[2]
        let bigEndian = vendor << 16 | digits
        self.text = text
        self.value = bigEndian.byteSwapped
    }

    public var description: String { text }
}
