/// A small AML encoder (ACPI 6.5 §20): the terms a DSDT for a micro-VM needs. `encoded` gives the bytes.
public indirect enum AML: Equatable, Sendable {
    /// An integer in its shortest encoding: ZeroOp, OneOp, OnesOp (all 64 bits set), else Byte/Word/DWord/QWord.
    case integer(UInt64)
    /// Integers with a fixed prefix, for byte-exact output (e.g. BytePrefix 0 where Zero would do).
    case byte(UInt8)
    case word(UInt16)
    case dword(UInt32)
    case qword(UInt64)
    /// A NUL-terminated ASCII string (no NUL inside).
    case string(String)
    /// A compressed EISA id such as "PNP0501", encoded as a DWord.
    case eisaID(EisaID)
    case buffer([UInt8])
    case package([AML])
    case resourceTemplate(ResourceTemplate)
    /// A name reference (e.g. a path used as a value).
    case nameReference(AMLName)
    case name(AMLName, AML)
    case scope(AMLName, [AML])
    case device(AMLName, [AML])
    /// Method(name, argCount 0–7, serialized) { body }.
    case method(AMLName, argumentCount: UInt8, serialized: Bool, [AML])
    case `return`(AML)
    /// Bytes inserted as they are.
    case raw([UInt8])

    public static let zero = AML.integer(0)
    public static let one = AML.integer(1)

    public enum Opcode {
        public static let zero: UInt8 = 0x00
        public static let one: UInt8 = 0x01
        public static let name: UInt8 = 0x08
        public static let bytePrefix: UInt8 = 0x0A
        public static let wordPrefix: UInt8 = 0x0B
        public static let dwordPrefix: UInt8 = 0x0C
        public static let stringPrefix: UInt8 = 0x0D
        public static let qwordPrefix: UInt8 = 0x0E
        public static let scope: UInt8 = 0x10
        public static let buffer: UInt8 = 0x11
        public static let package: UInt8 = 0x12
        public static let method: UInt8 = 0x14
        public static let extPrefix: UInt8 = 0x5B
        public static let device: UInt8 = 0x82
        public static let `return`: UInt8 = 0xA4
        public static let ones: UInt8 = 0xFF
    }

    public var encoded: [UInt8] {
        var out: [UInt8] = []
        encode(into: &out)
        return out
    }

    public func encode(into out: inout [UInt8]) {
        switch self {
        case let .integer(value):
            switch value {
            case 0: out.append(Opcode.zero)
            case 1: out.append(Opcode.one)
            case .max: out.append(Opcode.ones)
            case ...0xFF: AML.byte(UInt8(value)).encode(into: &out)
            case ...0xFFFF: AML.word(UInt16(value)).encode(into: &out)
            case ...0xFFFF_FFFF: AML.dword(UInt32(value)).encode(into: &out)
            default: AML.qword(value).encode(into: &out)
            }
        case let .byte(value): out += [Opcode.bytePrefix, value]
        case let .word(value): out.append(Opcode.wordPrefix); ByteFields.append(value, to: &out)
        case let .dword(value): out.append(Opcode.dwordPrefix); ByteFields.append(value, to: &out)
        case let .qword(value): out.append(Opcode.qwordPrefix); ByteFields.append(value, to: &out)
        case let .string(text):
            out.append(Opcode.stringPrefix)
            out += Array(text.utf8)
            out.append(0)
        case let .eisaID(id): AML.dword(id.value).encode(into: &out)
        case let .buffer(bytes):
            var body = AML.integer(UInt64(bytes.count)).encoded
            body += bytes
            out.append(Opcode.buffer)
            out += AML.packageLength(body: body.count)
            out += body
        case let .package(elements):
            var body: [UInt8] = [UInt8(truncatingIfNeeded: elements.count)]
            for element in elements { element.encode(into: &body) }
            out.append(Opcode.package)
            out += AML.packageLength(body: body.count)
            out += body
        case let .resourceTemplate(template): AML.buffer(template.encoded).encode(into: &out)
        case let .nameReference(name): out += name.encoded
        case let .name(name, value):
            out.append(Opcode.name)
            out += name.encoded
            value.encode(into: &out)
        case let .scope(name, children):
            out.append(Opcode.scope)
            AML.appendBlock(name: name, prefix: [], children: children, into: &out)
        case let .device(name, children):
            out += [Opcode.extPrefix, Opcode.device]
            AML.appendBlock(name: name, prefix: [], children: children, into: &out)
        case let .method(name, argumentCount, serialized, body):
            out.append(Opcode.method)
            let flags = (argumentCount & 0x07) | (serialized ? 0x08 : 0)
            AML.appendBlock(name: name, prefix: [flags], children: body, into: &out)
        case let .return(value):
            out.append(Opcode.return)
            value.encode(into: &out)
        case let .raw(bytes): out += bytes
        }
    }

    /// PkgLength NameString [extra] children: the length counts itself and everything after it.
    private static func appendBlock(name: AMLName, prefix: [UInt8], children: [AML], into out: inout [UInt8]) {
        var body = name.encoded + prefix
        for child in children { child.encode(into: &body) }
        out += packageLength(body: body.count)
        out += body
    }

    /// The PkgLength encoding for a body of `body` bytes (ACPI §20.2.4): one byte while the total
    /// (itself included) is at most 63, else 1–3 more bytes, the lead byte carrying their count in bits 7:6
    /// and the low nibble of the total in bits 3:0. Totals beyond 2^28 − 1 cannot be expressed; no table
    /// built here comes close.
    public static func packageLength(body: Int) -> [UInt8] {
        if body + 1 <= 0x3F { return [UInt8(body + 1)] }
        for extra in 1...3 {
            let total = body + 1 + extra
            guard total < 1 << (4 + 8 * extra) else { continue }
            var out = [UInt8(extra << 6) | UInt8(total & 0x0F)]
            for index in 0..<extra { out.append(UInt8(truncatingIfNeeded: total >> (4 + 8 * index))) }
            return out
        }
        preconditionFailure("AML package length \(body) exceeds 2^28 bytes")
    }
}

extension AML {
    /// A validated String term.
    public static func string(checked text: String) throws(ACPIError) -> AML {
        guard text.unicodeScalars.allSatisfy({ $0.value >= 0x01 && $0.value <= 0x7F }) else {
            throw .invalidString(text, reason: "only ASCII 0x01–0x7F is allowed (no NUL)")
        }
        return .string(text)
    }

    /// Method with no arguments that returns `value`, e.g. _STA.
    public static func method(_ name: AMLName, returning value: AML) -> AML {
        .method(name, argumentCount: 0, serialized: false, [.return(value)])
    }
}
