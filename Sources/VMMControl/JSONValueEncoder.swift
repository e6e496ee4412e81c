/// Encodes Codable types into a `JSONValue` (which `serialized()` writes), so VMMControl needs no Foundation
/// `JSONEncoder`. Same output as JSONEncoder for what the protocol sends: `nil` optionals left out by
/// `encodeIfPresent`, `encodeNil` written as `null`, a value that encodes nothing written as `{}`.
enum JSONValueEncoder {
    static func encode(_ value: some Encodable) throws -> JSONValue {
        let root = Node(codingPath: [])
        try value.encode(to: root)
        return root.value
    }

    /// One value being encoded. A class: containers handed out earlier keep writing into it.
    final class Node: Encoder {
        enum Content {
            case empty
            case scalar(JSONValue)
            case object([String: Node])
            case array([Node])
        }

        let codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }
        var content = Content.empty

        init(codingPath: [any CodingKey]) {
            self.codingPath = codingPath
        }

        var value: JSONValue {
            switch content {
            case .empty: return .object([:])
            case .scalar(let value): return value
            case .object(let fields): return .object(fields.mapValues(\.value))
            case .array(let elements): return .array(elements.map(\.value))
            }
        }

        /// The child node for `key`, made (or found, when the same key is written twice) in this object. A
        /// container used after its encoder was turned into another kind starts the object afresh (no trap).
        func child(_ key: any CodingKey) -> Node {
            var fields: [String: Node] = [:]
            if case .object(let existing) = content { fields = existing }
            if let existing = fields[key.stringValue] { return existing }
            let node = Node(codingPath: codingPath + [key])
            fields[key.stringValue] = node
            content = .object(fields)
            return node
        }

        /// A new last element of this array.
        func appendChild() -> Node {
            var elements: [Node] = []
            if case .array(let existing) = content { elements = existing }
            let node = Node(codingPath: codingPath + [JSONIndexKey(intValue: elements.count)])
            elements.append(node)
            content = .array(elements)
            return node
        }

        var arrayCount: Int {
            guard case .array(let elements) = content else { return 0 }
            return elements.count
        }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            if case .object = content {} else { content = .object([:]) }
            return KeyedEncodingContainer(KeyedContainer<Key>(node: self))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            if case .array = content {} else { content = .array([]) }
            return UnkeyedContainer(node: self)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer { SingleValueContainer(node: self) }
    }
}
