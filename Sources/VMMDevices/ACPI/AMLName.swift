/// An AML NameString (ACPI 6.5 §20.2.2): optional root ("\") or parent ("^") prefixes and 4-character
/// segments of A–Z, 0–9 and "_" (not starting with a digit), shorter segments padded with "_".
public struct AMLName: Equatable, Hashable, Sendable, CustomStringConvertible {
    public let prefix: String
    public let segments: [String]

    public init(_ text: String) throws(ACPIError) {
        var rest = Substring(text)
        var prefix = ""
        if rest.first == "\\" {
            prefix = "\\"
            rest = rest.dropFirst()
        } else {
            while rest.first == "^" {
                prefix.append("^")
                rest = rest.dropFirst()
            }
        }
        var segments: [String] = []
        if !rest.isEmpty {
            for part in rest.split(separator: ".", omittingEmptySubsequences: false) {
                guard !part.isEmpty, part.count <= 4 else {
                    throw .invalidName(text, reason: "segment \"\(part)\" must have 1 to 4 characters")
                }
                guard part.allSatisfy({ ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }) else {
                    throw .invalidName(text, reason: "segment \"\(part)\" may only use A-Z, 0-9 and _")
                }
                guard let first = part.first, !("0"..."9").contains(first) else {
                    throw .invalidName(text, reason: "segment \"\(part)\" starts with a digit")
                }
                segments.append(part.padding(toLength: 4, withPad: "_"))
            }
        }
        guard segments.count <= 255 else { throw .invalidName(text, reason: "more than 255 segments") }
        guard !segments.isEmpty || prefix == "\\" else { throw .invalidName(text, reason: "empty name") }
        self.prefix = prefix
        self.segments = segments
    }

    public var description: String { prefix + segments.joined(separator: ".") }

    public var encoded: [UInt8] {
        var out = Array(prefix.utf8)
        switch segments.count {
        case 0: out.append(0x00)  // NullName
        case 1: break
        case 2: out.append(0x2E)  // DualNamePrefix
        default: out += [0x2F, UInt8(segments.count)]  // MultiNamePrefix, SegCount
        }
        for segment in segments { out += Array(segment.utf8) }
        return out
    }
}

extension StringProtocol {
    fileprivate func padding(toLength length: Int, withPad pad: Character) -> String {
        String(self) + String(repeating: pad, count: Swift.max(0, length - count))
    }
}
