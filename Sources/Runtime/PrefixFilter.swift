/// Drops an expected prefix from the start of a byte stream that arrives in pieces split anywhere; a stream
/// that starts otherwise passes whole, the bytes held back while it looked like the prefix included.
struct PrefixFilter {
    private enum State {
        case matching(matched: Int)
        case passing
    }

    private let prefix: [UInt8]
    private var state = State.matching(matched: 0)

    init(_ prefix: [UInt8]) {
        self.prefix = prefix
        if prefix.isEmpty { state = .passing }
    }

    mutating func filter(_ bytes: [UInt8]) -> [UInt8] {
        guard case .matching(var matched) = state else { return bytes }
        var index = bytes.startIndex
        while index < bytes.endIndex, matched < prefix.count {
            guard bytes[index] == prefix[matched] else {
                state = .passing
                return Array(prefix[..<matched]) + bytes[index...]
            }
            matched += 1
            index += 1
        }
        state = matched == prefix.count ? .passing : .matching(matched: matched)
        return Array(bytes[index...])
    }
}
