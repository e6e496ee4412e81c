import Foundation
import Planner
import Testing

/// docs/planning.md carries the field classification table; FieldRules is the code. They must not drift.
@Suite("docs/planning.md")
struct PlanningDocTests {
    static let doc = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/planning.md")

    struct Row: Equatable, CustomStringConvertible {
        var resource: String, field: String, impact: String, why: String
        var description: String { "| \(resource) | `\(field)` | `\(impact)` | \(why) |" }
    }

    /// The rows of the first table under "## Field classification", cells stripped of backticks.
    static func documentedRows() throws -> [Row] {
        let text = try String(contentsOf: doc, encoding: .utf8)
        let lines = text.components(separatedBy: "\n")
        guard let heading = lines.firstIndex(of: "## Field classification") else { return [] }
        var rows: [Row] = []
        var inTable = false
        for line in lines[(heading + 1)...] {
            if line.hasPrefix("## ") { break }
            guard line.hasPrefix("|") else {
                if inTable { break }
                continue
            }
            inTable = true
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
                .map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "`", with: "") }
            guard cells.count == 4, cells[0] != "Resource", !cells[0].hasPrefix("---") else { continue }
            rows.append(Row(resource: cells[0], field: cells[1], impact: cells[2], why: cells[3]))
        }
        return rows
    }

    static func codeRows() -> [Row] {
        [("vm", FieldRules.vm), ("network", FieldRules.network), ("volume", FieldRules.volume)].flatMap { resource, rules in
            rules.map { Row(resource: resource, field: $0.field, impact: $0.impact.rawValue, why: $0.why) }
        }
    }

    @Test("the field classification table in docs/planning.md matches FieldRules row for row")
    func fieldTableMatchesFieldRules() throws {
        let documented = try Self.documentedRows()
        let code = Self.codeRows()
        #expect(!documented.isEmpty, "no table under '## Field classification' in docs/planning.md")
        for (index, pair) in zip(documented, code).enumerated() where pair.0 != pair.1 {
            Issue.record("row \(index + 1) differs:\n  docs: \(pair.0)\n  code: \(pair.1)")
        }
        for row in documented.dropFirst(code.count) { Issue.record("docs/planning.md has a row FieldRules lacks: \(row)") }
        for row in code.dropFirst(documented.count) { Issue.record("FieldRules has a rule docs/planning.md lacks; add: \(row)") }
    }
}
