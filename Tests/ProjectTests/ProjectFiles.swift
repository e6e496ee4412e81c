import Foundation

/// The repository's own files, for the checks that read them (messages, hard-coded versions, scripts).
enum ProjectFiles {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Paths relative to the root of the regular files under `folder` whose name ends with one of `suffixes`
    /// (every file when empty), sorted.
    static func files(under folder: String, suffixes: [String] = []) -> [String] {
        let base = root.appendingPathComponent(folder)
        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        var found: [String] = []
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            guard suffixes.isEmpty || suffixes.contains(where: { url.lastPathComponent.hasSuffix($0) }) else { continue }
            found.append(folder + "/" + url.path.dropFirst(base.path.count + 1))
        }
        return found.sorted()
    }

    static func text(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }
}

/// The string literals of Swift source: what stands between the quotes, with the line each starts on; comments are
/// left out. Handles escapes, interpolations (their own literals are listed too; the interpolation reads `\(…)` in
/// the outer text), multi-line `"""` literals and raw `#"…"#` literals. Regex literals are read as code.
struct SwiftStringLiterals {
    struct Literal: Equatable {
        var line: Int
        var text: String
    }

    static func of(_ source: String) -> [Literal] {
        var lexer = SwiftStringLiterals(bytes: Array(source.utf8))
        lexer.code(untilClosingParenthesis: false)
        return lexer.found.sorted { $0.line < $1.line }
    }

    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var found: [Literal] = []

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func at(_ offset: Int) -> UInt8? { index + offset < bytes.count ? bytes[index + offset] : nil }

    private func starts(with text: String, at offset: Int = 0) -> Bool {
        let pattern = Array(text.utf8)
        return index + offset + pattern.count <= bytes.count && Array(bytes[(index + offset)..<(index + offset + pattern.count)]) == pattern
    }

    private mutating func advance() {
        if bytes[index] == UInt8(ascii: "\n") { line += 1 }
        index += 1
    }

    private mutating func code(untilClosingParenthesis: Bool) {
        var depth = 0
        while index < bytes.count {
            if starts(with: "//") {
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { advance() }
            } else if starts(with: "/*") {
                var nesting = 0
                repeat {
                    if starts(with: "/*") { nesting += 1; advance() } else if starts(with: "*/") { nesting -= 1; advance() }
                    advance()
                } while nesting > 0 && index < bytes.count
            } else if bytes[index] == UInt8(ascii: "#") || bytes[index] == UInt8(ascii: "\"") {
                var hashes = 0
                while at(hashes) == UInt8(ascii: "#") { hashes += 1 }
                if at(hashes) == UInt8(ascii: "\"") {
                    for _ in 0..<hashes { advance() }
                    literal(hashes: hashes)
                } else {
                    for _ in 0..<max(hashes, 1) { advance() }
                }
            } else if untilClosingParenthesis && bytes[index] == UInt8(ascii: "(") {
                depth += 1
                advance()
            } else if untilClosingParenthesis && bytes[index] == UInt8(ascii: ")") {
                if depth == 0 { return }
                depth -= 1
                advance()
            } else {
                advance()
            }
        }
    }

    /// At the opening quote(s), after `hashes` #s.
    private mutating func literal(hashes: Int) {
        let start = line
        let multiline = starts(with: "\"\"\"")
        let quote = multiline ? "\"\"\"" : "\""
        let close = quote + String(repeating: "#", count: hashes)
        let escape = "\\" + String(repeating: "#", count: hashes)
        for _ in 0..<quote.utf8.count { advance() }
        var text: [UInt8] = []
        while index < bytes.count {
            if starts(with: close) {
                for _ in 0..<close.utf8.count { advance() }
                break
            }
            if starts(with: escape) {
                for _ in 0..<escape.utf8.count { advance() }
                if at(0) == UInt8(ascii: "(") {
                    advance()
                    code(untilClosingParenthesis: true)
                    if index < bytes.count { advance() }
                    text += Array("\\(…)".utf8)
                } else if index < bytes.count {
                    text += [UInt8(ascii: "\\"), bytes[index]]
                    advance()
                }
                continue
            }
            if !multiline && bytes[index] == UInt8(ascii: "\n") { break }  // unterminated: stop at the line's end
            text.append(bytes[index])
            advance()
        }
        found.append(Literal(line: start, text: String(decoding: text, as: UTF8.self)))
    }
}
