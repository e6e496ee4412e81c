/// An IPv4 address as a 32-bit number, parsed strictly (four decimal octets, no leading zeros).
public struct IPv4Address: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    public var value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  part.count == 1 || part.first != "0", let octet = UInt32(part), octet <= 255
            else { return nil }
            value = value << 8 | octet
        }
        self.value = value
    }

    public var description: String {
        "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
    }

    public static func < (a: IPv4Address, b: IPv4Address) -> Bool { a.value < b.value }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = IPv4Address(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an IPv4 address: \(text)"))
        }
        self = parsed
    }
}

/// An IPv4 network in CIDR form, `10.10.0.0/24`.
public struct IPv4Subnet: Hashable, Sendable, Codable, CustomStringConvertible {
    public var network: IPv4Address
    public var prefixLength: Int

    public init(network: IPv4Address, prefixLength: Int) {
        self.network = network
        self.prefixLength = prefixLength
    }

    public enum ParseError: Error, Equatable, Sendable {
        case malformed
        case ipv6
        case badAddress(String)
        case badPrefix(String)
        /// Host bits are set; carries the subnet the user most likely meant.
        case hostBitsSet(IPv4Subnet)
    }

    public static func parse(_ text: String) -> Result<IPv4Subnet, ParseError> {
        if text.contains(":") { return .failure(.ipv6) }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .failure(.malformed) }
        guard let address = IPv4Address(String(parts[0])) else { return .failure(.badAddress(String(parts[0]))) }
        guard parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let prefix = Int(parts[1]), prefix <= 32 else {
            return .failure(.badPrefix(String(parts[1])))
        }
        let subnet = IPv4Subnet(network: IPv4Address(address.value & Self.mask(prefix)), prefixLength: prefix)
        if subnet.network != address { return .failure(.hostBitsSet(subnet)) }
        return .success(subnet)
    }

    static func mask(_ prefix: Int) -> UInt32 { prefix == 0 ? 0 : UInt32.max << (32 - prefix) }

    public var mask: UInt32 { Self.mask(prefixLength) }
    public var broadcast: IPv4Address { IPv4Address(network.value | ~mask) }
    /// The first usable host address, the default gateway.
    public var firstHost: IPv4Address { IPv4Address(network.value + 1) }
    public var lastHost: IPv4Address { IPv4Address(broadcast.value - 1) }

    public func contains(_ address: IPv4Address) -> Bool { address.value & mask == network.value }

    public func overlaps(_ other: IPv4Subnet) -> Bool {
        contains(other.network) || other.contains(network)
    }

    public var description: String { "\(network)/\(prefixLength)" }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard case .success(let subnet) = Self.parse(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a CIDR: \(text)"))
        }
        self = subnet
    }
}
