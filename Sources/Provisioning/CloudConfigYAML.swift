import Yams

/// Builds and writes the YAML of the seed's files so that cloud-init (PyYAML, YAML 1.1) reads back exactly the
/// values vmctl meant: strings that YAML 1.1 would read as something else (`yes`, `0644`, `52:54:00:…`, a
/// sexagesimal number) are quoted, multi-line strings are literal blocks, keys are sorted, lines never wrap.
enum CloudConfigYAML {
    /// A string scalar that reads back as this exact string.
    static func string(_ value: String) -> Node {
        if value.contains("\n") { return .scalar(.init(value, Tag(.str), .literal)) }
        if Resolver.default.resolveTag(of: Node(value)) != .str { return .scalar(.init(value, Tag(.str), .doubleQuoted)) }
        return .scalar(.init(value, Tag(.str), .plain))
    }

    /// A double-quoted string scalar (MAC addresses: some read as sexagesimal numbers in YAML 1.1, all are quoted).
    static func quoted(_ value: String) -> Node { .scalar(.init(value, Tag(.str), .doubleQuoted)) }

    static func bool(_ value: Bool) -> Node { .scalar(.init(value ? "true" : "false", Tag(.bool), .plain)) }

    static func int(_ value: Int) -> Node { .scalar(.init(String(value), Tag(.int), .plain)) }

    static func list(_ items: [Node]) -> Node { .sequence(.init(items)) }

    static func strings(_ items: [String]) -> Node { list(items.map(string)) }

    /// A mapping from string keys, in the given order (sorted when written).
    static func mapping(_ pairs: [(String, Node)]) -> Node {
        .mapping(.init(pairs.map { (string($0.0), $0.1) }))
    }

    /// The node's tag after resolution (`!!str` for a quoted scalar, by content for a plain one).
    static func tagName(_ node: Node) -> Tag.Name { Tag.Name(rawValue: node.tag.rawValue) }

    /// The YAML text of `node`, sorted and unwrapped, ending in one newline.
    static func text(_ node: Node) throws -> String {
        try Yams.serialize(node: node, width: -1, allowUnicode: true, sortKeys: true)
    }
}
