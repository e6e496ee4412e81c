import Foundation
import Yams

/// A `cloudInit.userData` file, read and parsed: its top-level mapping, each node carrying its line.
struct UserDataFile {
    static let header = "#cloud-config"

    var path: String
    /// The top-level keys and values in the file's order (an empty file gives none).
    var pairs: [(key: Node, value: Node)]

    /// Parses `text` read from `path`; every error names the file and, where known, the line.
    init(path: String, text: String) throws {
        self.path = path
        let body = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        let firstLine = body.prefix { $0 != "\n" && $0 != "\r\n" }
        guard firstLine.hasPrefix(Self.header) else {
            throw ProvisioningError.userData(file: path, line: 1, column: 0, message:
                "the first line must be '\(Self.header)'; vmctl merges only cloud-config (for a shell script use runcmd, or write_files and runcmd)")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: body)
        } catch let error as YamlError {
            throw Self.error(error, path: path)
        }
        guard let root else { self.pairs = []; return }
        switch root {
        case .mapping(let mapping):
            self.pairs = mapping.map { ($0.key, $0.value) }
        case .scalar where CloudConfigYAML.tagName(root) == .null:
            self.pairs = []
        default:
            throw ProvisioningError.userData(file: path, line: root.mark?.line ?? 0, column: 0,
                                             message: "a cloud-config document must be a mapping of keys (hostname: …, runcmd: …), not a \(Self.kind(root))")
        }
    }

    static func kind(_ node: Node) -> String {
        switch node {
        case .scalar: return "single value"
        case .sequence: return "list"
        case .mapping: return "mapping"
        case .alias: return "alias"
        }
    }

    static func error(_ error: YamlError, path: String) -> ProvisioningError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let detail = context.map { " (\($0.text) at line \($0.mark.line))" } ?? ""
            return .userData(file: path, line: mark.line, column: mark.column, message: "invalid YAML: \(problem)\(detail)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return .userData(file: path, line: context.mark.line, column: context.mark.column,
                             message: "invalid YAML: the key \(duplicates.joined(separator: ", ")) appears twice in one mapping")
        case .reader(let problem, _, _, _):
            return .userData(file: path, line: 0, column: 0, message: "invalid YAML: \(problem)")
        default:
            return .userData(file: path, line: 0, column: 0, message: "invalid YAML: \(error)")
        }
    }
}
