import Foundation

/// The little of a VT100 the live apply display uses, to check what a person would see: printable text, CR,
/// LF (which also returns, as the terminal driver's onlcr makes it), cursor up (CSI n A), erase to the end of the line (CSI K) and below (CSI J). Colours (CSI … m) and the
/// cursor's visibility (CSI ? 25 l/h) change nothing on the screen. Lines scrolled away stay (an unbounded
/// scrollback); cursor-up stops at the first line. Anything else is recorded in `unknown`.
struct ScreenEmulator {
    private(set) var lines: [[Character]] = [[]]
    private(set) var row = 0
    private(set) var column = 0
    private(set) var cursorVisible = true
    private(set) var unknown: [String] = []

    /// The screen's text, trailing spaces and empty last lines dropped.
    var text: String {
        var rendered = lines.map { String($0).replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }
        while rendered.last == "" { rendered.removeLast() }
        return rendered.joined(separator: "\n")
    }

    mutating func feed(_ text: String) {
        var characters = Array(text)[...]
        while let character = characters.popFirst() {
            switch character {
            case "\r": column = 0
            case "\n", "\r\n":   // LF as a terminal shows it (onlcr): to the start of the next line. (CR LF is one Character.)
                column = 0
                row += 1
                if row == lines.count { lines.append([]) }
            case "\u{1B}":
                guard characters.first == "[" else { unknown.append("ESC"); continue }
                characters.removeFirst()
                var parameters = ""
                while let next = characters.first, next.isNumber || next == "?" || next == ";" { parameters.append(characters.removeFirst()) }
                guard let final = characters.popFirst() else { unknown.append("CSI \(parameters)"); return }
                control(parameters, final)
            default:
                while lines[row].count < column { lines[row].append(" ") }
                if column < lines[row].count { lines[row][column] = character } else { lines[row].append(character) }
                column += 1
            }
        }
    }

    private mutating func control(_ parameters: String, _ final: Character) {
        switch (parameters, final) {
        case (_, "A"): row = max(0, row - (Int(parameters) ?? 1))
        case ("", "K"), ("0", "K"): if column < lines[row].count { lines[row].removeSubrange(column...) }
        case ("", "J"), ("0", "J"):
            if column < lines[row].count { lines[row].removeSubrange(column...) }
            lines.removeSubrange((row + 1)...)
        case (_, "m"): break
        case ("?25", "l"): cursorVisible = false
        case ("?25", "h"): cursorVisible = true
        default: unknown.append("CSI \(parameters)\(final)")
        }
    }
}
