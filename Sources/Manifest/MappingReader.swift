import VMCtlModel

/// Reads one YAML mapping as an object with a fixed set of fields: reports a non-mapping, unknown fields
/// (with a suggestion) and missing required fields, and hands out each field's node and path.
struct MappingReader {
    let node: YAMLNode
    let place: Place
    /// Where the object is named (its key, e.g. `backend:`); missing fields are reported there.
    let owner: SourceLocation
    private let fields: [String: (key: YAMLNode, value: YAMLNode)]

    /// Nil (with a diagnostic) when `node` is not a mapping. `what` names the object in messages. `owner` is where
    /// the object is named; a block mapping starts at its first key, which is the wrong line for "missing field".
    init?(_ node: YAMLNode, path: String, what: String, allowed: [String], sink: DiagnosticSink, owner: SourceLocation? = nil) {
        self.node = node
        self.place = Place(location: node.location, path: path)
        self.owner = owner ?? node.location
        guard case .mapping(let pairs) = node.content else {
            sink.error(place, "\(what) must be a mapping, found \(node.typeDescription)")
            return nil
        }
        var fields: [String: (key: YAMLNode, value: YAMLNode)] = [:]
        for pair in pairs {
            guard case .scalar(let key, _) = pair.key.content else {
                sink.error(Place(location: pair.key.location, path: path), "keys of \(what) must be plain names, found \(pair.key.typeDescription)")
                continue
            }
            let keyPlace = Place(location: pair.key.location, path: place.child(key))
            guard allowed.contains(key) else {
                sink.error(keyPlace, "unknown field '\(key.truncatedForMessage)' in \(what)",
                           hint: Suggestions.hint(for: key, in: allowed) ?? "allowed fields: \(allowed.joined(separator: ", "))")
                continue
            }
            fields[key] = pair
        }
        self.fields = fields
    }

    func has(_ key: String) -> Bool { fields[key] != nil }

    /// The value of `key`, or nil when it is absent. A null value counts as present: decoders report it.
    func value(_ key: String) -> (node: YAMLNode, path: String)? {
        fields[key].map { ($0.value, place.child(key)) }
    }

    func keyPlace(_ key: String) -> Place? {
        fields[key].map { Place(location: $0.key.location, path: place.child(key)) }
    }

    /// The value of a required field; reports it missing at the mapping's start.
    func required(_ key: String, what: String, sink: DiagnosticSink, hint: String? = nil) -> (node: YAMLNode, path: String)? {
        if let found = value(key) { return found }
        sink.error(Place(location: owner, path: place.child(key)), "\(what) is missing the required field '\(key)'", hint: hint)
        return nil
    }
}
