/// The result of `console-input`: how many bytes the serial input queue took. Fewer than sent means the
/// queue is full; the client sends the rest later.
public struct ConsoleInputResult: Codable, Equatable, Sendable {
    public var accepted: Int

    public init(accepted: Int) { self.accepted = accepted }
}
