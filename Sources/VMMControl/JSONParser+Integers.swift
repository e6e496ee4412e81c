extension JSONParser {
    /// Int.max and Int.min have 19 digits: a whole number with more significant digits is beyond Int.
    private static let maxIntDigits = 19

    /// The value of number text (already checked against the grammar) when it is a whole number in Int's range,
    /// worked out digit by digit: `7`, `7.0`, `-3e0`, `1.5e3`, `100e-2`; nil for a fraction or a value beyond Int.
    /// Going through Double instead rounds past 2^53: -9223372036854775809 came out as Int.min and
    /// 9007199254740993.0 as 9007199254740992.
    static func exactInteger(_ text: ArraySlice<UInt8>) -> Int? {
        var digits: [UInt8] = []  // integer and fraction digits together; value = digits × 10^scale
        var scale = 0
        var index = text.startIndex
        let negative = text.first == UInt8(ascii: "-")
        if negative { index += 1 }
        func digit(at position: Int) -> UInt8? {
            guard position < text.endIndex, text[position] >= UInt8(ascii: "0"), text[position] <= UInt8(ascii: "9") else { return nil }
            return text[position] - UInt8(ascii: "0")
        }
        while let value = digit(at: index) { digits.append(value); index += 1 }
        if index < text.endIndex, text[index] == UInt8(ascii: ".") {
            index += 1
            while let value = digit(at: index) { digits.append(value); scale -= 1; index += 1 }
        }
        if index < text.endIndex, text[index] == UInt8(ascii: "e") || text[index] == UInt8(ascii: "E") {
            index += 1
            let negativeExponent = index < text.endIndex && text[index] == UInt8(ascii: "-")
            if index < text.endIndex, text[index] == UInt8(ascii: "-") || text[index] == UInt8(ascii: "+") { index += 1 }
            // Saturates far beyond any digit count a text can have, so the sum with `scale` cannot overflow.
            var exponent = 0
            while let value = digit(at: index) { exponent = min(exponent * 10 + Int(value), 1 << 40); index += 1 }
            scale += negativeExponent ? -exponent : exponent
        }
        guard let first = digits.firstIndex(where: { $0 != 0 }) else { return 0 }  // zero however written, -0 too
        var significant = Array(digits[first...])
        if scale < 0 {
            // Whole only if every digit below the units is 0.
            guard -scale < significant.count, significant.suffix(-scale).allSatisfy({ $0 == 0 }) else { return nil }
            significant.removeLast(-scale)
        } else {
            guard significant.count + scale <= maxIntDigits else { return nil }
            significant += [UInt8](repeating: 0, count: scale)
        }
        guard significant.count <= maxIntDigits else { return nil }
        // Accumulated below zero, where Int has room for Int.min.
        var value = 0
        for digit in significant {
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowB) = shifted.subtractingReportingOverflow(Int(digit))
            guard !overflowA, !overflowB else { return nil }
            value = next
        }
        if negative { return value }
        return value == Int.min ? nil : -value
    }
}
