import VMCtlModel

/// Our own YAML tree: Yams' nodes reduced to what validation needs, each with its source location.
/// Built with a budget so alias bombs cannot expand without bound.
struct YAMLNode: Sendable {
    enum Content: Sendable {
        /// `plain` is false for quoted and block scalars and for `!!str`: such values are always strings.
        case scalar(String, plain: Bool)
        case mapping([(key: YAMLNode, value: YAMLNode)])
        case sequence([YAMLNode])
    }

    var content: Content
    var location: SourceLocation

    /// A plain `~`, `null`, `Null`, `NULL` or nothing at all.
    var isNull: Bool {
        if case .scalar(let text, plain: true) = content {
            return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
        }
        return false
    }

    /// What a user would call this node's type, for "expected X, found Y" messages.
    var typeDescription: String {
        switch content {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let text, let plain):
            if isNull { return "nothing (null)" }
            guard plain else { return "the string \"\(text.truncatedForMessage)\"" }
            if text == "true" || text == "false" { return "the boolean \(text)" }
            if Int(text) != nil || Double(text) != nil { return "the number \(text)" }
            return "\"\(text.truncatedForMessage)\""
        }
    }
}

extension String {
    var truncatedForMessage: String {
        count > 40 ? String(prefix(37)) + "..." : self
    }
}
