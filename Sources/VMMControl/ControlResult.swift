/// The `result` of a successful response. Which case comes back depends on the command:
/// describe → `.description`, stats → `.stats`, console-input → `.consoleInput`, all others → `.done` (`{}`).
public enum ControlResult: Equatable, Sendable {
    case done
    case description(VMDescription)
    case stats(VMStats)
    case consoleInput(ConsoleInputResult)

    /// Whether this result is the kind `command` answers with; the server refuses to send a mismatch.
    public func matches(_ command: ControlCommand.Name) -> Bool {
        switch (self, command) {
        case (.description, .describe), (.stats, .stats), (.consoleInput, .consoleInput): return true
        case (.done, .pause), (.done, .resume), (.done, .shutdown), (.done, .powerOff), (.done, .reset): return true
        default: return false
        }
    }
}
