/// The 36-byte System Description Table header and checksum (ACPI §5.2.6). Tables are built as
/// header + body; `finish` fills in the length and the checksum that makes all bytes sum to 0.
public struct ACPITableHeader: Equatable, Sendable {
    public static let size = 36
    public static let oemID = "VMCTL "
    public static let creatorID = "VMCT"
    public static let creatorRevision: UInt32 = 1

    public var signature: String
    public var revision: UInt8
    /// 8 characters, e.g. "VMCTLDSD".
    public var oemTableID: String
    public var oemRevision: UInt32 = 1

    public init(signature: String, revision: UInt8, oemTableID: String) {
        self.signature = signature
        self.revision = revision
        self.oemTableID = oemTableID
    }

    /// The complete table: header with length and checksum, then `body`.
    public func table(body: [UInt8]) -> [UInt8] {
        var out = ByteFields.ascii(signature, count: 4)
        ByteFields.append(UInt32(Self.size + body.count), to: &out)
        out.append(revision)
        out.append(0)  // checksum, below
        out += ByteFields.ascii(Self.oemID, count: 6)
        out += ByteFields.ascii(oemTableID, count: 8)
        ByteFields.append(oemRevision, to: &out)
        out += ByteFields.ascii(Self.creatorID, count: 4)
        ByteFields.append(Self.creatorRevision, to: &out)
        out += body
        out[9] = ACPIChecksum.of(out)
        return out
    }
}

public enum ACPIChecksum {
    /// The byte that, added to `bytes` (whose checksum field is 0), makes the sum 0 mod 256.
    public static func of<C: Collection>(_ bytes: C) -> UInt8 where C.Element == UInt8 {
        0 &- bytes.reduce(UInt8(0)) { $0 &+ $1 }
    }

    public static func isValid<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        bytes.reduce(UInt8(0)) { $0 &+ $1 } == 0
    }
}

/// A Generic Address Structure (ACPI §5.2.3.2), 12 bytes.
public struct GenericAddress: Equatable, Sendable {
    public enum Space: UInt8, Sendable {
        case systemMemory = 0
        case systemIO = 1
    }

    public var space: Space
    public var bitWidth: UInt8
    public var bitOffset: UInt8 = 0
    /// 1 byte, 2 word, 3 dword, 4 qword access.
    public var accessSize: UInt8
    public var address: UInt64

    public init(space: Space, bitWidth: UInt8, bitOffset: UInt8 = 0, accessSize: UInt8, address: UInt64) {
        self.space = space
        self.bitWidth = bitWidth
        self.bitOffset = bitOffset
        self.accessSize = accessSize
        self.address = address
    }

    /// A byte-wide I/O port register.
    public static func ioPort(_ port: UInt16) -> GenericAddress {
        GenericAddress(space: .systemIO, bitWidth: 8, accessSize: 1, address: UInt64(port))
    }

    public var encoded: [UInt8] {
        var out = [space.rawValue, bitWidth, bitOffset, accessSize]
        ByteFields.append(address, to: &out)
        return out
    }
}
