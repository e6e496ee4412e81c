/// A 48-bit Ethernet address written `52:54:00:12:34:56`.
public struct MACAddress: Hashable, Sendable, Codable, CustomStringConvertible {
    public var octets: [UInt8]

    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var octets: [UInt8] = []
        for part in parts {
            guard part.count == 2, let octet = UInt8(part, radix: 16) else { return nil }
            octets.append(octet)
        }
        self.octets = octets
    }

    public init(octets: [UInt8]) { self.octets = octets }

    /// The I/G bit: set on multicast and broadcast addresses, which a NIC cannot own.
    public var isMulticast: Bool { octets[0] & 1 == 1 }
    public var isZero: Bool { octets.allSatisfy { $0 == 0 } }

    public var description: String {
        octets.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":")
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let mac = MACAddress(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a MAC address: \(text)"))
        }
        self = mac
    }
}
