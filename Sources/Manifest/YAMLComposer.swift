import VMCtlModel
import Yams

/// Turns text into documents of `YAMLNode`, reporting syntax problems as diagnostics.
struct YAMLComposer {
    /// Nodes that aliases may add in one file. A billion-laughs document hits this after microseconds.
    static let aliasExpansionBudget = 100_000
    static let maxDepth = 200

    let file: String
    let text: String

    enum Failure: Error {
        case diagnostic(Diagnostic)
    }

    /// Every document of the stream; a syntax error ends the stream with a diagnostic.
    func documents() -> (documents: [YAMLNode], diagnostic: Diagnostic?) {
        var documents: [YAMLNode] = []
        // Yams hashes mapping keys with aliases resolved; bound what aliases expand to before it resolves any.
        let verdict = AliasPreScan(file: file, text: text, budget: Self.aliasExpansionBudget).run()
        do {
            let parser = try Parser(yaml: text, encoding: .utf8)
            var budget = Budget()
            var trail = PathTrail()
            while documents.count < verdict.safeDocuments, let root = try parser.nextRoot() {
                documents.append(try convert(root, budget: &budget, depth: 0, trail: &trail))
            }
            return (documents, verdict.diagnostic)
        } catch let Failure.diagnostic(diagnostic) {
            return (documents, diagnostic)
        } catch let error as YamlError {
            return (documents, diagnostic(for: error))
        } catch {
            return (documents, Diagnostic(at: SourceLocation(file: file, line: 1, column: 1), path: "", "cannot read YAML: \(error)"))
        }
    }

    struct Budget {
        var seenAnchors: Set<ObjectIdentifier> = []
        var aliasNodes = 0
    }

    static func aliasBudgetDiagnostic(at location: SourceLocation, path: String) -> Diagnostic {
        Diagnostic(at: location, path: path, "aliases expand to more than \(aliasExpansionBudget) nodes",
                   hint: "this looks like an alias bomb; write the values out or use fewer nested aliases")
    }

    private func location(_ mark: Mark?) -> SourceLocation {
        SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    /// `expanding` is true below an alias use: every node there counts against the budget. `trail` is the node's
    /// path in the document (`vms.api.cpus`), for diagnostics.
    private func convert(_ node: Node, budget: inout Budget, depth: Int, expanding: Bool = false, trail: inout PathTrail) throws -> YAMLNode {
        let here = location(node.mark)
        guard depth < Self.maxDepth else {
            throw Failure.diagnostic(Diagnostic(at: here, path: trail.rendered, "YAML nesting deeper than \(Self.maxDepth) levels",
                                                hint: "vmctl manifests need a few levels; this input is not a manifest"))
        }
        var expanding = expanding
        if let anchor = node.anchorObject {
            // The first visit of an anchored node is its definition; any later visit is an alias.
            if !budget.seenAnchors.insert(ObjectIdentifier(anchor)).inserted { expanding = true }
        }
        if expanding {
            budget.aliasNodes += 1
            if budget.aliasNodes > Self.aliasExpansionBudget {
                throw Failure.diagnostic(Self.aliasBudgetDiagnostic(at: here, path: trail.rendered))
            }
        }
        switch node {
        case .scalar(let scalar):
            return YAMLNode(content: .scalar(scalar.string, plain: try isPlain(scalar, at: Place(location: here, path: trail.rendered))), location: here)
        case .sequence(let sequence):
            var items: [YAMLNode] = []
            items.reserveCapacity(sequence.count)
            for (index, item) in sequence.enumerated() {
                trail.push(.index(index))
                defer { trail.pop() }
                items.append(try convert(item, budget: &budget, depth: depth + 1, expanding: expanding, trail: &trail))
            }
            return YAMLNode(content: .sequence(items), location: here)
        case .mapping(let mapping):
            var pairs: [(key: YAMLNode, value: YAMLNode)] = []
            var merges: [YAMLNode] = []
            for (key, value) in mapping {
                if let name = key.scalar?.string { trail.push(.key(name)) }
                defer { if key.scalar != nil { trail.pop() } }
                let convertedKey = try convert(key, budget: &budget, depth: depth + 1, expanding: expanding, trail: &trail)
                let convertedValue = try convert(value, budget: &budget, depth: depth + 1, expanding: expanding, trail: &trail)
                if case .scalar("<<", plain: true) = convertedKey.content {
                    merges.append(convertedValue)
                } else {
                    pairs.append((convertedKey, convertedValue))
                }
            }
            try applyMerges(merges, into: &pairs)
            return YAMLNode(content: .mapping(pairs), location: here)
        case .alias(let alias):
            throw Failure.diagnostic(Diagnostic(at: location(alias.mark), path: "", "unresolved YAML alias *\(alias.anchor.rawValue)"))
        }
    }

    /// YAML merge keys (`<<: *defaults`): keys already in the mapping win, then earlier merge sources.
    private func applyMerges(_ merges: [YAMLNode], into pairs: inout [(key: YAMLNode, value: YAMLNode)]) throws {
        guard !merges.isEmpty else { return }
        var present = Set(pairs.compactMap { $0.key.scalarText })
        var sources: [YAMLNode] = []
        for merge in merges {
            switch merge.content {
            case .mapping: sources.append(merge)
            case .sequence(let items): sources.append(contentsOf: items)
            case .scalar: sources.append(merge)
            }
        }
        for source in sources {
            guard case .mapping(let sourcePairs) = source.content else {
                throw Failure.diagnostic(Diagnostic(at: source.location, path: "", "a merge key (<<) needs a mapping or a list of mappings, found \(source.typeDescription)"))
            }
            for pair in sourcePairs {
                guard let key = pair.key.scalarText, present.insert(key).inserted else { continue }
                pairs.append(pair)
            }
        }
    }

    private func isPlain(_ scalar: Node.Scalar, at here: Place) throws -> Bool {
        let tag = scalar.tag.rawValue
        switch tag {
        case "", "?", "!":
            return scalar.style == .plain || scalar.style == .any
        case "tag:yaml.org,2002:str":
            return false
        case "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null":
            return true
        // Yams resolves the implicit tags of mapping keys while it checks for duplicates, so a plain key can also
        // arrive as one of these: `<<` (a merge key), `2024-01-01`, `=`.
        case "tag:yaml.org,2002:merge", "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:value":
            return true
        default:
            throw Failure.diagnostic(Diagnostic(at: here.location, path: here.path, "the YAML tag \(tag) is not supported", hint: "remove the tag; vmctl reads plain values"))
        }
    }

    func diagnostic(for error: YamlError) -> Diagnostic {
        switch error {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let while_ = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            return Diagnostic(at: location(mark), path: "", "YAML syntax error: \(problem)\(while_)")
        case .reader(let problem, let offset, _, _):
            let at = offset.map { lineAndColumn(ofByteOffset: $0) } ?? (1, 1)
            return Diagnostic(at: SourceLocation(file: file, line: at.0, column: at.1), path: "", "cannot read input: \(problem)")
        case .duplicatedKeysInMapping(let keys, let context):
            let key = keys.first ?? ""
            let at = secondOccurrence(ofKey: key, after: context.mark) ?? location(context.mark)
            let names = keys.map { "'\($0)'" }.joined(separator: ", ")
            return Diagnostic(
                at: at, path: "", "duplicate key \(names) in a mapping",
                hint: "first written at line \(context.mark.line), column \(context.mark.column); a key may appear once")
        case .memory:
            return Diagnostic(at: location(nil), path: "", "YAML parser ran out of memory")
        default:
            return Diagnostic(at: location(nil), path: "", "cannot read YAML: \(error)")
        }
    }

    /// Yams reports a duplicate at its first occurrence; users need the second one, the line to delete.
    private func secondOccurrence(ofKey key: String, after mark: Mark) -> SourceLocation? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard mark.line >= 1, mark.line <= lines.count else { return nil }
        for index in mark.line..<lines.count {
            let line = lines[index]
            let scalars = Array(line.unicodeScalars)
            let column = mark.column - 1
            guard column >= 0, scalars.count > column else { continue }
            let indent = scalars[..<column]
            if !indent.allSatisfy({ $0 == " " || $0 == "-" }) {
                if indent.contains(where: { $0 != " " && $0 != "-" }) { continue }
            }
            let rest = String(String.UnicodeScalarView(scalars[column...]))
            for candidate in [key, "\"\(key)\"", "'\(key)'"] where rest.hasPrefix(candidate) {
                let after = rest.dropFirst(candidate.count).drop { $0 == " " }
                if after.hasPrefix(":") { return SourceLocation(file: file, line: index + 1, column: mark.column) }
            }
            // A shallower key ends the mapping the duplicate lives in.
            if let firstNonSpace = scalars.firstIndex(where: { $0 != " " }), firstNonSpace < column,
               scalars[firstNonSpace] != "#" {
                return nil
            }
        }
        return nil
    }

    func lineAndColumn(ofByteOffset offset: Int) -> (Int, Int) {
        TextPosition.lineAndColumn(in: Array(text.utf8), byteOffset: offset)
    }
}

extension YAMLNode {
    var scalarText: String? {
        if case .scalar(let text, _) = content { return text }
        return nil
    }
}

extension Node {
    /// The anchor object of an anchored node; the same object for every alias that refers to it.
    var anchorObject: Anchor? {
        switch self {
        case .scalar(let scalar): return scalar.anchor
        case .mapping(let mapping): return mapping.anchor
        case .sequence(let sequence): return sequence.anchor
        case .alias: return nil
        }
    }
}
