import VMCtlModel

/// Decodes scalars with strict types and user-grade messages; substitutes `${VAR}` first.
struct ValueDecoder {
    let sink: DiagnosticSink
    let env: [String: String]
    /// Folder that relative paths in this file are resolved against.
    let baseDirectory: String
    /// Collects every path `path(_:_:)` resolves, for the checks callers make on the host.
    let hostPaths: HostPathLog

    func place(_ node: YAMLNode, _ path: String) -> Place { Place(location: node.location, path: path) }

    /// The scalar's text after substitution, with whether it was plain. Nil (reported) for collections and null.
    func scalar(_ node: YAMLNode, _ path: String, expected: String) -> (text: String, plain: Bool)? {
        guard case .scalar(let raw, let plain) = node.content, !node.isNull else {
            sink.error(place(node, path), "\(path) must be \(expected), found \(node.typeDescription)")
            return nil
        }
        switch EnvSubstitution.apply(raw, env: env) {
        case .success(let text):
            return (text, plain)
        case .failure(.unset(let name)):
            sink.error(place(node, path), "environment variable \(name) is not set",
                       hint: "set it (export \(name)=…) or give a default: ${\(name):-value}")
        case .failure(.unterminated):
            sink.error(place(node, path), "unterminated ${ in \(path)", hint: "close it with '}', or write $$ for a literal $")
        case .failure(.badName(let name)):
            sink.error(place(node, path), "\(path): '\(name.truncatedForMessage)' is not a valid environment variable name",
                       hint: "names are letters, digits and '_', not starting with a digit; write $$ for a literal $")
        }
        return nil
    }

    func string(_ node: YAMLNode, _ path: String, allowEmpty: Bool = false) -> Located<String>? {
        guard let (text, _) = scalar(node, path, expected: "a string") else { return nil }
        if !allowEmpty && text.isEmpty {
            sink.error(place(node, path), "\(path) must not be empty")
            return nil
        }
        return Located(value: text, place: place(node, path))
    }

    func int(_ node: YAMLNode, _ path: String, range: ClosedRange<Int>) -> Located<Int>? {
        guard let (text, plain) = scalar(node, path, expected: "an integer") else { return nil }
        guard plain, let value = Int(text) else {
            let found = plain ? "\"\(text.truncatedForMessage)\"" : "the string \"\(text.truncatedForMessage)\""
            sink.error(place(node, path), "\(path) must be an integer, found \(found)",
                       hint: plain ? nil : "remove the quotes")
            return nil
        }
        guard range.contains(value) else {
            sink.error(place(node, path), "\(path) must be \(describe(range)), found \(value)")
            return nil
        }
        return Located(value: value, place: place(node, path))
    }

    func number(_ node: YAMLNode, _ path: String, above minimum: Double, atMost maximum: Double = .infinity) -> Located<Double>? {
        guard let (text, plain) = scalar(node, path, expected: "a number") else { return nil }
        guard plain, let value = Double(text), value.isFinite, !text.hasPrefix("."), !text.hasPrefix("+") else {
            sink.error(place(node, path), "\(path) must be a number, found \(plain ? "\"\(text.truncatedForMessage)\"" : "the string \"\(text.truncatedForMessage)\"")")
            return nil
        }
        guard value > minimum, value <= maximum else {
            let range = maximum.isFinite ? "greater than \(format(minimum)) and at most \(format(maximum))" : "greater than \(format(minimum))"
            sink.error(place(node, path), "\(path) must be \(range), found \(text)")
            return nil
        }
        return Located(value: value, place: place(node, path))
    }

    func bool(_ node: YAMLNode, _ path: String) -> Located<Bool>? {
        guard let (text, plain) = scalar(node, path, expected: "true or false") else { return nil }
        switch (text, plain) {
        case ("true", true): return Located(value: true, place: place(node, path))
        case ("false", true): return Located(value: false, place: place(node, path))
        default:
            let hint = ["yes", "no", "on", "off", "y", "n", "True", "False", "TRUE", "FALSE"].contains(text)
                ? "YAML 1.1 spellings like '\(text)' are ambiguous; write true or false" : nil
            sink.error(place(node, path), "\(path) must be true or false, found \(plain ? "'\(text.truncatedForMessage)'" : "the string \"\(text.truncatedForMessage)\"")", hint: hint)
            return nil
        }
    }

    func size(_ node: YAMLNode, _ path: String) -> Located<ByteSize>? {
        guard let (text, _) = scalar(node, path, expected: "a size such as 512MiB") else { return nil }
        let here = place(node, path)
        if text.hasPrefix("-") {
            sink.error(here, "\(path) must be a positive size, found \(text.truncatedForMessage)")
            return nil
        }
        switch ByteSize.parse(text) {
        case .success(let size):
            guard size.bytes > 0 else {
                sink.error(here, "\(path) must be greater than zero")
                return nil
            }
            return Located(value: size, place: here)
        case .failure(.ambiguousUnit(let unit)):
            let iec = unit.prefix(1).uppercased() + "iB"
            let power = ["K": 10, "M": 20, "G": 30, "T": 40, "P": 50][unit.prefix(1).uppercased()] ?? 10
            sink.error(here, "\(path): ambiguous unit \(unit): write \(iec) (2^\(power) bytes) or a plain byte count",
                       hint: "\(unit) means powers of 1000 to some tools and of 1024 to others; \(text.dropLast(unit.count))\(iec) is unambiguous")
        case .failure(.unknownUnit(let unit)):
            sink.error(here, "\(path): unknown size unit '\(unit.truncatedForMessage)'",
                       hint: "use KiB, MiB, GiB or TiB (or Ki, Mi, Gi, Ti), or a plain number of bytes")
        case .failure(.fractionalBytes):
            sink.error(here, "\(path): \(text) is not a whole number of bytes")
        case .failure(.tooLarge):
            sink.error(here, "\(path): \(text.truncatedForMessage) is too large; the limit is 1024TiB")
        case .failure(.empty), .failure(.notANumber):
            sink.error(here, "\(path) must be a size such as 512MiB or 2GiB, found \"\(text.truncatedForMessage)\"")
        }
        return nil
    }

    func duration(_ node: YAMLNode, _ path: String) -> Located<Duration>? {
        guard let (text, _) = scalar(node, path, expected: "a duration such as 90s") else { return nil }
        let here = place(node, path)
        switch DurationParser.parse(text) {
        case .success(let duration):
            guard duration > .zero else {
                sink.error(here, "\(path) must be longer than zero")
                return nil
            }
            return Located(value: duration, place: here)
        case .failure(.missingUnit):
            sink.error(here, "\(path): '\(text.truncatedForMessage)' has no unit", hint: "write \(text)s for seconds, or use ms, m or h")
        case .failure(.unknownUnit(let unit)):
            sink.error(here, "\(path): unknown duration unit '\(unit.truncatedForMessage)'", hint: "use ms, s, m or h, e.g. 90s or 1m30s")
        case .failure(.tooLarge):
            sink.error(here, "\(path): \(text.truncatedForMessage) is too long; the limit is 365 days")
        case .failure(.empty), .failure(.malformed):
            sink.error(here, "\(path) must be a duration such as 90s, 2m or 1m30s, found \"\(text.truncatedForMessage)\"")
        }
        return nil
    }

    func choice<E: RawRepresentable & CaseIterable>(_ node: YAMLNode, _ path: String, _: E.Type) -> Located<E>? where E.RawValue == String {
        guard let (text, _) = scalar(node, path, expected: "one of \(E.allCases.map(\.rawValue).joined(separator: ", "))") else { return nil }
        if let value = E(rawValue: text) { return Located(value: value, place: place(node, path)) }
        let names = E.allCases.map(\.rawValue)
        sink.error(place(node, path), "\(path) must be one of \(names.joined(separator: ", ")), found '\(text.truncatedForMessage)'",
                   hint: Suggestions.hint(for: text, in: names))
        return nil
    }

    /// A stack, VM, network or volume name.
    func name(_ node: YAMLNode, _ path: String, what: String) -> Located<String>? {
        guard let (text, _) = scalar(node, path, expected: "a name") else { return nil }
        return checkedName(text, place: place(node, path), what: what)
    }

    func checkedName(_ text: String, place: Place, what: String) -> Located<String>? {
        if let problem = ResourceName.problem(with: text) {
            let suggestion = text.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" }
            let hint = ResourceName.problem(with: String(suggestion)) == nil ? "try '\(String(suggestion))'" : "names follow DNS label rules (RFC 1123)"
            sink.error(place, "\(what) name '\(text.truncatedForMessage)' \(problem)", hint: hint)
            return nil
        }
        return Located(value: text, place: place)
    }

    /// A file path; relative paths are resolved against the manifest's folder.
    func path(_ node: YAMLNode, _ path: String) -> Located<String>? {
        guard let located = string(node, path) else { return nil }
        if located.value.hasPrefix("~") {
            sink.error(located.place, "\(path): '~' is not expanded", hint: "write ${HOME}/… or an absolute path")
            return nil
        }
        if located.value.contains("\0") {
            sink.error(located.place, "\(path) contains a NUL character")
            return nil
        }
        let resolved = Paths.resolve(located.value, against: baseDirectory)
        hostPaths.references.append(HostPathReference(path: resolved, written: located.value, location: located.place.location, field: path))
        return Located(value: resolved, place: located.place)
    }

    func list(_ node: YAMLNode, _ path: String) -> [(node: YAMLNode, path: String)]? {
        if node.isNull { return [] }
        guard case .sequence(let items) = node.content else {
            let hint = node.scalarText.map { "write a list: [\($0.truncatedForMessage)], or one '- ' item per line" }
            sink.error(place(node, path), "\(path) must be a list, found \(node.typeDescription)", hint: hint)
            return nil
        }
        return items.enumerated().map { ($1, "\(path)[\($0)]") }
    }

    /// Entries of a mapping keyed by user-chosen names (`vms`, `networks`, `labels`), in file order.
    func entries(_ node: YAMLNode, _ path: String) -> [(key: String, keyPlace: Place, node: YAMLNode, path: String)]? {
        if node.isNull { return [] }
        guard case .mapping(let pairs) = node.content else {
            sink.error(place(node, path), "\(path) must be a mapping, found \(node.typeDescription)")
            return nil
        }
        var result: [(String, Place, YAMLNode, String)] = []
        for pair in pairs {
            guard case .scalar(let key, _) = pair.key.content, !pair.key.isNull || key == "null" else {
                sink.error(place(pair.key, path), "keys of \(path) must be names, found \(pair.key.typeDescription)")
                continue
            }
            let childPath = "\(path).\(key)"
            result.append((key, Place(location: pair.key.location, path: childPath), pair.value, childPath))
        }
        return result
    }

    private func describe(_ range: ClosedRange<Int>) -> String {
        range.upperBound == Int.max ? "at least \(range.lowerBound)" : "between \(range.lowerBound) and \(range.upperBound)"
    }

    private func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
