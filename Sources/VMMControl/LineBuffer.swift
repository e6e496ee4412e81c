/// Splits a byte stream into lines of at most `limit` bytes (newline excluded; a trailing "\r" is dropped
/// after the check). A longer line is reported once, as soon as it passes the limit, and the rest of it is
/// skipped up to its newline, so the stream stays usable.
struct LineBuffer {
    enum Event: Equatable {
        case line([UInt8])
        case tooLong
    }

    private enum State: Equatable {
        case collecting
        /// Inside an oversize line: drop bytes until the newline.
        case discarding
    }

    let limit: Int
    private var pending: [UInt8] = []
    private var state = State.collecting
    private var events: [Event] = []
    private var eventIndex = 0

    init(limit: Int) { self.limit = limit }

    /// Whether part of a line has arrived (a client that stops mid-line is treated differently from an idle one).
    var hasPartialLine: Bool { !pending.isEmpty || state == .discarding }

    mutating func append(_ bytes: ArraySlice<UInt8>) {
        var rest = bytes
        while !rest.isEmpty {
            let newline = rest.firstIndex(of: UInt8(ascii: "\n"))
            let chunk = rest[..<(newline ?? rest.endIndex)]
            if state == .collecting {
                pending += chunk
                if pending.count > limit {
                    events.append(.tooLong)
                    state = .discarding
                    pending = []
                }
            }
            guard let newline else { return }
            if state == .collecting {
                if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
                if !pending.isEmpty { events.append(.line(pending)) }   // blank lines are ignored
            }
            pending = []
            state = .collecting
            rest = rest[(newline + 1)...]
        }
    }

    /// The next complete line or oversize report, in stream order.
    mutating func next() -> Event? {
        guard eventIndex < events.count else {
            events.removeAll(keepingCapacity: true)
            eventIndex = 0
            return nil
        }
        defer { eventIndex += 1 }
        return events[eventIndex]
    }
}
