import VMCtlModel
import Yams

/// Bounds what aliases expand to before Yams resolves a single alias.
///
/// Yams composes an alias as a shared node, which is cheap, but it hashes every mapping key to find duplicates:
/// a key that is an alias of a billion-laughs node (`? *bomb : 1`) is hashed node by node, for minutes. So the text
/// is first parsed with every `*` replaced by a private-use character. Without aliases Yams does linear work, and a
/// plain scalar that starts with that character is exactly where an alias was written (`*` cannot start a plain
/// scalar). Walking that tree gives what each alias expands to; only the documents before the first one that
/// passes the budget (or fails to parse) go on to the real parse.
struct AliasPreScan {
    static let marker: Unicode.Scalar = "\u{E000}"
    static let markerStandIn: Unicode.Scalar = "\u{E001}"

    let file: String
    let text: String
    let budget: Int

    struct Verdict {
        /// Documents that may be parsed with aliases resolved; Int.max when all may.
        var safeDocuments = Int.max
        var diagnostic: Diagnostic?
    }

    func run() -> Verdict {
        // Without an anchor no alias can resolve; without an alias nothing expands.
        guard text.utf8.contains(UInt8(ascii: "&")), text.utf8.contains(UInt8(ascii: "*")) else { return Verdict() }
        var masked = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            masked.append(scalar == "*" ? Self.marker : scalar == Self.marker ? Self.markerStandIn : scalar)
        }
        let maskedText = String(masked)
        var counter = Counter(budget: budget)
        var parsed = 0
        do {
            let parser = try Parser(yaml: maskedText, encoding: .utf8)
            while let root = try parser.nextRoot() {
                var trail = PathTrail()
                _ = counter.size(of: root, trail: &trail)
                if let (line, column, path) = counter.excess {
                    let at = SourceLocation(file: file, line: line, column: column)
                    return Verdict(safeDocuments: parsed, diagnostic: YAMLComposer.aliasBudgetDiagnostic(at: at, path: Self.unmask(path)))
                }
                parsed += 1
            }
            return Verdict()
        } catch let error as YamlError {
            // The same syntax error the real parse would report, at the same line and column (one `*` is one character).
            var diagnostic = YAMLComposer(file: file, text: maskedText).diagnostic(for: error)
            diagnostic.message = Self.unmask(diagnostic.message)
            diagnostic.hint = diagnostic.hint.map(Self.unmask)
            return Verdict(safeDocuments: parsed, diagnostic: diagnostic)
        } catch {
            return Verdict(safeDocuments: parsed, diagnostic: Diagnostic(at: SourceLocation(file: file, line: 1, column: 1), path: "", "cannot read YAML: \(error)"))
        }
    }

    static func unmask(_ message: String) -> String {
        String(String.UnicodeScalarView(message.unicodeScalars.map { $0 == marker ? "*" : $0 }))
    }

    /// Expanded node counts, as Yams would build them with aliases resolved; capped just above the budget.
    struct Counter {
        let budget: Int
        /// Anchor name → expanded size of the node that last completed with it (Yams resolves to that one).
        var sizes: [String: Int] = [:]
        var total = 0
        /// Where the alias that passed the budget is written, and its path in the document.
        var excess: (line: Int, column: Int, path: String)?

        mutating func size(of node: Node, trail: inout PathTrail) -> Int {
            var size = 1
            switch node {
            case .scalar(let scalar):
                if let name = Self.aliasName(scalar) {
                    size = sizes[name] ?? 0
                    total = min(total + size, budget + 1)
                    if total > budget, excess == nil { excess = (scalar.mark?.line ?? 1, scalar.mark?.column ?? 1, trail.rendered) }
                }
            case .sequence(let sequence):
                for (index, item) in sequence.enumerated() {
                    trail.push(.index(index))
                    size = min(size + self.size(of: item, trail: &trail), budget + 1)
                    trail.pop()
                }
            case .mapping(let mapping):
                for (key, value) in mapping {
                    if let name = key.scalar?.string { trail.push(.key(name)) }
                    size = min(size + self.size(of: key, trail: &trail) + self.size(of: value, trail: &trail), budget + 1)
                    if key.scalar != nil { trail.pop() }
                }
            case .alias:
                break
            }
            if let anchor = node.anchorObject { sizes[anchor.rawValue] = size }
            return size
        }

        /// libyaml reads an alias name as the letters, digits, `_` and `-` after `*`.
        static func aliasName(_ scalar: Node.Scalar) -> String? {
            guard scalar.style == .plain || scalar.style == .any, scalar.string.unicodeScalars.first == marker else { return nil }
            let name = scalar.string.unicodeScalars.dropFirst().prefix {
                $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-")
            }
            return String(String.UnicodeScalarView(name))
        }
    }
}
