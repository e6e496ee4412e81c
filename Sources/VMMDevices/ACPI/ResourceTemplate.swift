/// A ResourceTemplate (_CRS buffer): resource descriptors followed by the End Tag (ACPI §6.4).
public struct ResourceTemplate: Equatable, Sendable {
    public enum Descriptor: Equatable, Sendable {
        /// Memory32Fixed(ReadWrite/ReadOnly, base, length): large item 0x86.
        case memory32Fixed(writable: Bool, base: UInt32, length: UInt32)
        /// IO(Decode16, minimum, maximum, alignment, length): small item 0x47.
        case io(minimum: UInt16, maximum: UInt16, alignment: UInt8, length: UInt8)
        /// Interrupt(consumer, edge/level, activeHigh/Low, exclusive/shared){GSIs}: extended large item 0x89.
        case interrupt(consumer: Bool, edgeTriggered: Bool, activeLow: Bool, shared: Bool, gsis: [UInt32])

        /// Interrupt(ResourceConsumer, Edge, ActiveHigh, Exclusive){gsi}: what edge irqfd injection matches.
        public static func edgeInterrupt(_ gsi: UInt32) -> Descriptor {
            .interrupt(consumer: true, edgeTriggered: true, activeLow: false, shared: false, gsis: [gsi])
        }

        public var encoded: [UInt8] {
            var out: [UInt8] = []
            switch self {
            case let .memory32Fixed(writable, base, length):
                out += [0x86, 0x09, 0x00, writable ? 1 : 0]
                ByteFields.append(base, to: &out)
                ByteFields.append(length, to: &out)
            case let .io(minimum, maximum, alignment, length):
                out += [0x47, 0x01]  // 16-bit decode
                ByteFields.append(minimum, to: &out)
                ByteFields.append(maximum, to: &out)
                out += [alignment, length]
            case let .interrupt(consumer, edge, activeLow, shared, gsis):
                let count = min(gsis.count, 255)
                out.append(0x89)
                ByteFields.append(UInt16(2 + 4 * count), to: &out)
                var flags: UInt8 = consumer ? 0x01 : 0
                if edge { flags |= 0x02 }
                if activeLow { flags |= 0x04 }
                if shared { flags |= 0x08 }
                out += [flags, UInt8(count)]
                for gsi in gsis.prefix(count) { ByteFields.append(gsi, to: &out) }
            }
            return out
        }
    }

    public var descriptors: [Descriptor]
    /// When true the End Tag carries a real checksum (all template bytes sum to 0); when false it carries
    /// 0, which the specification defines as "treat as valid" and is what iasl emits.
    public var computeChecksum: Bool

    public init(_ descriptors: [Descriptor], computeChecksum: Bool = false) {
        self.descriptors = descriptors
        self.computeChecksum = computeChecksum
    }

    public var encoded: [UInt8] {
        var out = descriptors.flatMap(\.encoded)
        out.append(0x79)  // End Tag, small item length 1
        let sum = out.reduce(UInt8(0)) { $0 &+ $1 }
        out.append(computeChecksum ? 0 &- sum : 0)
        return out
    }
}
