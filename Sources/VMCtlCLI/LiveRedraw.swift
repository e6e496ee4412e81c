/// Turns successive frames into the bytes that redraw them in place on an ANSI terminal.
///
/// A frame has settled lines, which never change again (finished rows at the top of the table): they are printed
/// once and scroll up with the output; and live lines (running and pending rows), drawn below them and redrawn
/// by the next frame. Each frame moves the cursor up over the live lines of the one before (CUU), rewrites every
/// line and erases what is left of it (EL), and clears below (ED) when it has fewer lines. The cursor ends at
/// the start of the line below the frame, so a frame with no live lines leaves the screen as plain output.
struct LiveRedraw {
    static let escape = "\u{1B}["
    static let hideCursor = escape + "?25l"
    static let showCursor = escape + "?25h"

    /// Live lines of the last frame, above the cursor.
    private(set) var liveLines = 0

    mutating func frame(settled: [String], live: [String]) -> String {
        var out = liveLines > 0 ? "\r\(Self.escape)\(liveLines)A" : ""
        for line in settled + live { out += line + Self.escape + "K\n" }
        if settled.count + live.count < liveLines { out += Self.escape + "J" }
        liveLines = live.count
        return out
    }

    /// Erases the live lines, leaving the cursor where they began (to print something above the next frame).
    mutating func clear() -> String {
        guard liveLines > 0 else { return "" }
        defer { liveLines = 0 }
        return "\r\(Self.escape)\(liveLines)A\(Self.escape)J"
    }
}
