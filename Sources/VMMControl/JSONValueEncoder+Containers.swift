extension JSONValueEncoder {
    /// Fields of an object. Typed `encode`s go through the field's own node, whose single-value container
    /// stores the scalar.
    struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let node: Node
        var codingPath: [any CodingKey] { node.codingPath }

        mutating func encodeNil(forKey key: Key) throws { node.child(key).content = .scalar(.null) }
        mutating func encode(_ value: Bool, forKey key: Key) throws { try value.encode(to: node.child(key)) }
        mutating func encode(_ value: String, forKey key: Key) throws { try value.encode(to: node.child(key)) }
        mutating func encode(_ value: Double, forKey key: Key) throws { try value.encode(to: node.child(key)) }
        mutating func encode(_ value: Float, forKey key: Key) throws { try value.encode(to: node.child(key)) }
        mutating func encode(_ value: Int, forKey key: Key) throws { try value.encode(to: node.child(key)) }
        mutating func encode(_ value: Int8, forKey key: Key) throws { try value.encode(to: node.child(key)) }
        mutating func encode(_ value: Int16, forKey key: Key) throws { try value.encode(to: node.child(key)) }
        mutating func encode(_ value: Int32, forKey key: Key) throws { try value.encode(to: node.child(key)) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { try value.encode(to: node.child(key)) }
        mutating func encode(_ value: UInt, forKey key: Key) throws { try value.encode(to: node.child(key)) }
        mutating func encode(_ value: UInt8, forKey key: Key) throws { try value.encode(to: node.child(key)) }
        mutating func encode(_ value: UInt16, forKey key: Key) throws { try value.encode(to: node.child(key)) }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { try value.encode(to: node.child(key)) }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { try value.encode(to: node.child(key)) }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try value.encode(to: node.child(key)) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            node.child(key).container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            node.child(key).unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder { node.child(JSONSuperKey()) }
        mutating func superEncoder(forKey key: Key) -> any Encoder { node.child(key) }
    }

    /// Elements of an array, appended in order.
    struct UnkeyedContainer: UnkeyedEncodingContainer {
        let node: Node
        var codingPath: [any CodingKey] { node.codingPath }
        var count: Int { node.arrayCount }

        mutating func encodeNil() throws { node.appendChild().content = .scalar(.null) }
        mutating func encode<T: Encodable>(_ value: T) throws { try value.encode(to: node.appendChild()) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            node.appendChild().container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            node.appendChild().unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder { node.appendChild() }
    }

    /// One scalar: the node becomes that value.
    struct SingleValueContainer: SingleValueEncodingContainer {
        let node: Node
        var codingPath: [any CodingKey] { node.codingPath }

        mutating func encodeNil() throws { node.content = .scalar(.null) }
        mutating func encode(_ value: Bool) throws { node.content = .scalar(.bool(value)) }
        mutating func encode(_ value: String) throws { node.content = .scalar(.string(value)) }
        mutating func encode(_ value: Double) throws { node.content = .scalar(try number(value)) }
        mutating func encode(_ value: Float) throws { node.content = .scalar(try number(Double(value))) }
        mutating func encode(_ value: Int) throws { node.content = .scalar(.integer(value)) }
        mutating func encode(_ value: Int8) throws { node.content = .scalar(try integer(value)) }
        mutating func encode(_ value: Int16) throws { node.content = .scalar(try integer(value)) }
        mutating func encode(_ value: Int32) throws { node.content = .scalar(try integer(value)) }
        mutating func encode(_ value: Int64) throws { node.content = .scalar(try integer(value)) }
        mutating func encode(_ value: UInt) throws { node.content = .scalar(try integer(value)) }
        mutating func encode(_ value: UInt8) throws { node.content = .scalar(try integer(value)) }
        mutating func encode(_ value: UInt16) throws { node.content = .scalar(try integer(value)) }
        mutating func encode(_ value: UInt32) throws { node.content = .scalar(try integer(value)) }
        mutating func encode(_ value: UInt64) throws { node.content = .scalar(try integer(value)) }
        mutating func encode<T: Encodable>(_ value: T) throws { try value.encode(to: node) }

        /// JSONValue keeps integers as Int: a UInt64 above Int.max is refused rather than rounded.
        private func integer(_ value: some FixedWidthInteger) throws -> JSONValue {
            guard let whole = Int(exactly: value) else {
                throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "\(value) does not fit in Int"))
            }
            return .integer(whole)
        }

        /// JSON has no NaN or infinity (JSONEncoder refuses them too).
        private func number(_ value: Double) throws -> JSONValue {
            guard value.isFinite else {
                throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "\(value) is not a JSON number"))
            }
            return .number(value)
        }
    }
}
