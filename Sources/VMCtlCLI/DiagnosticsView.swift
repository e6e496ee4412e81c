import Foundation
import VMCtlModel

/// Renders diagnostics as compilers do (`FILE:LINE:COL: error: MESSAGE`) or as JSON.
enum DiagnosticsView {
    static func human(_ diagnostics: [Diagnostic]) -> String {
        var out = ""
        for d in diagnostics {
            out += "\(d.location.file):\(d.location.line):\(d.location.column): \(d.severity.rawValue): \(d.message)"
            // The path is shown when the message does not already name it.
            if !d.path.isEmpty, !d.message.contains(d.path) { out += " [\(d.path)]" }
            out += "\n"
            if let hint = d.hint { out += "    hint: \(hint)\n" }
        }
        return out
    }

    struct JSONDiagnostic: Encodable {
        var file: String
        var line: Int
        var column: Int
        var path: String
        var severity: String
        var message: String
        var hint: String?

        enum CodingKeys: String, CodingKey { case file, line, column, path, severity, message, hint }

        // Always write `hint`, as null when absent, so consumers see a fixed shape.
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(file, forKey: .file)
            try c.encode(line, forKey: .line)
            try c.encode(column, forKey: .column)
            try c.encode(path, forKey: .path)
            try c.encode(severity, forKey: .severity)
            try c.encode(message, forKey: .message)
            try c.encode(hint, forKey: .hint)
        }
    }

    struct ValidationReport: Encodable {
        var valid: Bool
        var diagnostics: [JSONDiagnostic]
    }

    static func json(valid: Bool, _ diagnostics: [Diagnostic]) -> String {
        let report = ValidationReport(valid: valid, diagnostics: diagnostics.map {
            JSONDiagnostic(file: $0.location.file, line: $0.location.line, column: $0.location.column, path: $0.path,
                           severity: $0.severity.rawValue, message: $0.message, hint: $0.hint)
        })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(report)) ?? Data("{\"valid\":false,\"diagnostics\":[]}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
