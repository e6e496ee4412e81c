/// Durations are written `90s`, `2m`, `1m30s`, `500ms`, `1h`. A plain number is refused: seconds or milliseconds?
public enum DurationParser {
    public enum ParseError: Error, Equatable, Sendable {
        case empty
        case missingUnit
        case unknownUnit(String)
        case malformed
        case tooLarge
    }

    static let unitMilliseconds: [String: Int64] = ["ms": 1, "s": 1_000, "m": 60_000, "h": 3_600_000]

    public static func parse(_ text: String) -> Result<Duration, ParseError> {
        let chars = Array(text.trimmingSpaces)
        guard !chars.isEmpty else { return .failure(.empty) }
        var index = 0
        var totalMs: Int64 = 0
        while index < chars.count {
            var digits = ""
            while index < chars.count, chars[index].isASCII, chars[index].isNumber {
                digits.append(chars[index]); index += 1
            }
            var unit = ""
            while index < chars.count, chars[index].isLetter {
                unit.append(chars[index]); index += 1
            }
            guard !digits.isEmpty else { return .failure(.malformed) }
            guard !unit.isEmpty else { return .failure(index < chars.count ? .malformed : .missingUnit) }
            guard let perUnit = unitMilliseconds[unit] else { return .failure(.unknownUnit(unit)) }
            guard let value = Int64(digits) else { return .failure(.tooLarge) }
            let (part, o1) = value.multipliedReportingOverflow(by: perUnit)
            let (sum, o2) = totalMs.addingReportingOverflow(part)
            guard !o1, !o2, sum <= 365 * 24 * 3_600_000 else { return .failure(.tooLarge) }
            totalMs = sum
        }
        return .success(.milliseconds(totalMs))
    }

    /// `90s` → "1m30s"; used in messages and plans.
    public static func format(_ duration: Duration) -> String {
        let ms = duration.components.seconds * 1_000 + duration.components.attoseconds / 1_000_000_000_000_000
        if ms == 0 { return "0s" }
        var rest = ms
        var out = ""
        for (unit, size) in [("h", Int64(3_600_000)), ("m", 60_000), ("s", 1_000), ("ms", 1)] where rest >= size {
            out += "\(rest / size)\(unit)"
            rest %= size
        }
        return out
    }
}
