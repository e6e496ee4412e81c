import Yams

/// Prepares a node of a `userData` file to be written again: vmctl re-emits the document, so anchors are dropped
/// (aliases are already expanded, and PyYAML refuses a repeated anchor), strings that would read back as another
/// type are quoted, and tags that cannot survive the round trip (`!!binary`, `!custom`) are refused.
struct UserDataSanitizer {
    var path: String

    func sanitize(_ node: Node) throws -> Node {
        switch node {
        case .scalar(let scalar):
            return .scalar(try sanitize(scalar))
        case .mapping(let mapping):
            try expect(node, .map)
            let pairs = try mapping.map { (try sanitize($0.key), try sanitize($0.value)) }
            return .mapping(.init(pairs, Tag(.map), mapping.style, mapping.mark))
        case .sequence(let sequence):
            try expect(node, .seq)
            return .sequence(.init(try sequence.map(sanitize), Tag(.seq), sequence.style, sequence.mark))
        case .alias(let alias):
            throw ProvisioningError.userData(file: path, line: alias.mark?.line ?? 0, column: alias.mark?.column ?? 0,
                                             message: "the alias *\(alias.anchor.rawValue) could not be expanded")
        }
    }

    private func sanitize(_ scalar: Node.Scalar) throws -> Node.Scalar {
        let tag = CloudConfigYAML.tagName(.scalar(scalar))
        let plainTag = Resolver.default.resolveTag(of: Node(scalar.string))
        var style = scalar.style
        let plain = style == .plain || style == .any
        switch tag {
        case .str:
            if plain && plainTag != .str { style = .doubleQuoted }
        case .int, .float, .bool, .null, .timestamp, .merge, .value:
            // Written untagged, a value keeps its type only as a plain scalar that resolves to it.
            guard plainTag == tag else { throw unsupported(tag, at: scalar.mark) }
            style = .plain
        default:
            throw unsupported(tag, at: scalar.mark)
        }
        return .init(scalar.string, Tag(tag), style, scalar.mark)
    }

    private func expect(_ node: Node, _ name: Tag.Name) throws {
        let resolved = CloudConfigYAML.tagName(node)
        if resolved != name { throw unsupported(resolved, at: node.mark) }
    }

    private func unsupported(_ tag: Tag.Name, at mark: Mark?) -> ProvisioningError {
        .userData(file: path, line: mark?.line ?? 0, column: mark?.column ?? 0,
                  message: "the tag \(Self.shortName(tag)) is not supported: vmctl writes the document again and keeps only plain YAML types" +
                      (tag == .binary ? " (for binary file content use write_files' encoding: b64)" : ""))
    }

    static func shortName(_ tag: Tag.Name) -> String {
        let prefix = "tag:yaml.org,2002:"
        return tag.rawValue.hasPrefix(prefix) ? "!!" + tag.rawValue.dropFirst(prefix.count) : tag.rawValue
    }
}
