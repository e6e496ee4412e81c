extension JSONValueDecoder {
    /// An object's fields. Every typed `decode` goes through the field's own `JSONValueDecoder`, whose
    /// single-value container does the type checks.
    struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let fields: [String: JSONValue]
        let codingPath: [any CodingKey]

        var allKeys: [Key] { fields.keys.compactMap { Key(stringValue: $0) } }

        func contains(_ key: Key) -> Bool { fields[key.stringValue] != nil }

        private func field(_ key: Key) throws -> JSONValueDecoder {
            guard let value = fields[key.stringValue] else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath,
                                                           debugDescription: "No value associated with key \(key.stringValue)."))
            }
            return JSONValueDecoder(value: value, codingPath: codingPath + [key])
        }

        func decodeNil(forKey key: Key) throws -> Bool { try field(key).decodeNil() }
        func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try field(key).decode(type) }
        func decode(_ type: String.Type, forKey key: Key) throws -> String { try field(key).decode(type) }
        func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try field(key).decode(type) }
        func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try field(key).decode(type) }
        func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try field(key).decode(type) }
        func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try field(key).decode(type) }
        func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try field(key).decode(type) }
        func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try field(key).decode(type) }
        func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try field(key).decode(type) }
        func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try field(key).decode(type) }
        func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try field(key).decode(type) }
        func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try field(key).decode(type) }
        func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try field(key).decode(type) }
        func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try field(key).decode(type) }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try T(from: field(key)) }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            try field(key).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try field(key).unkeyedContainer()
        }

        func superDecoder() throws -> any Decoder {
            JSONValueDecoder(value: fields["super"] ?? .null, codingPath: codingPath + [JSONSuperKey()])
        }

        func superDecoder(forKey key: Key) throws -> any Decoder {
            JSONValueDecoder(value: fields[key.stringValue] ?? .null, codingPath: codingPath + [key])
        }
    }

    /// An array's elements, read front to back.
    struct UnkeyedContainer: UnkeyedDecodingContainer {
        let elements: [JSONValue]
        let codingPath: [any CodingKey]
        private(set) var currentIndex = 0

        init(elements: [JSONValue], codingPath: [any CodingKey]) {
            self.elements = elements
            self.codingPath = codingPath
        }

        var count: Int? { elements.count }
        var isAtEnd: Bool { currentIndex >= elements.count }

        /// The next element's decoder; moves past it only when `body` succeeds, as JSONDecoder does.
        private mutating func next<T>(_ type: Any.Type, _ body: (JSONValueDecoder) throws -> T) throws -> T {
            let key = JSONIndexKey(intValue: currentIndex)
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(type, .init(codingPath: codingPath + [key], debugDescription: "Unkeyed container is at end."))
            }
            let result = try body(JSONValueDecoder(value: elements[currentIndex], codingPath: codingPath + [key]))
            currentIndex += 1
            return result
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd else { return try next(Any?.self) { $0.decodeNil() } }
            guard elements[currentIndex] == .null else { return false }
            currentIndex += 1
            return true
        }

        mutating func decode(_ type: Bool.Type) throws -> Bool { try next(type) { try $0.decode(type) } }
        mutating func decode(_ type: String.Type) throws -> String { try next(type) { try $0.decode(type) } }
        mutating func decode(_ type: Double.Type) throws -> Double { try next(type) { try $0.decode(type) } }
        mutating func decode(_ type: Float.Type) throws -> Float { try next(type) { try $0.decode(type) } }
        mutating func decode(_ type: Int.Type) throws -> Int { try next(type) { try $0.decode(type) } }
        mutating func decode(_ type: Int8.Type) throws -> Int8 { try next(type) { try $0.decode(type) } }
        mutating func decode(_ type: Int16.Type) throws -> Int16 { try next(type) { try $0.decode(type) } }
        mutating func decode(_ type: Int32.Type) throws -> Int32 { try next(type) { try $0.decode(type) } }
        mutating func decode(_ type: Int64.Type) throws -> Int64 { try next(type) { try $0.decode(type) } }
        mutating func decode(_ type: UInt.Type) throws -> UInt { try next(type) { try $0.decode(type) } }
        mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next(type) { try $0.decode(type) } }
        mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next(type) { try $0.decode(type) } }
        mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next(type) { try $0.decode(type) } }
        mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next(type) { try $0.decode(type) } }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next(type) { try T(from: $0) } }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            try next(KeyedDecodingContainer<NestedKey>.self) { try $0.container(keyedBy: type) }
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            try next((any UnkeyedDecodingContainer).self) { try $0.unkeyedContainer() }
        }

        mutating func superDecoder() throws -> any Decoder {
            try next((any Decoder).self) { $0 }
        }
    }
}

/// The key `superDecoder()` and `superEncoder()` use.
struct JSONSuperKey: CodingKey {
    var stringValue: String { "super" }
    var intValue: Int? { nil }

    init() {}
    init?(stringValue: String) { if stringValue != "super" { return nil } }
    init?(intValue: Int) { nil }
}
