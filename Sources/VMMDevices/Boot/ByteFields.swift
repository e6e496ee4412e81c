/// Little-endian field access on byte arrays, for the boot structures and ACPI tables (x86 is little-endian
/// and so are these formats). Reads return nil when the field does not fit; writes extend nothing and
/// are only used on buffers whose size the caller fixed, so an out-of-range write is a programming error
/// caught by the array's own bounds check.
enum ByteFields {
    static func load<T: FixedWidthInteger & UnsignedInteger>(_ type: T.Type, from bytes: [UInt8], at offset: Int) -> T? {
        let width = MemoryLayout<T>.size
        guard offset >= 0, offset <= bytes.count - width else { return nil }
        var value: T = 0
        for index in stride(from: width - 1, through: 0, by: -1) { value = value << 8 | T(bytes[offset + index]) }
        return value
    }

    static func store<T: FixedWidthInteger>(_ value: T, into bytes: inout [UInt8], at offset: Int) {
        for index in 0..<MemoryLayout<T>.size {
            bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (index * 8))
        }
    }

    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        for index in 0..<MemoryLayout<T>.size { bytes.append(UInt8(truncatingIfNeeded: value >> (index * 8))) }
    }

    /// `text` as ASCII bytes, padded with `pad` or cut to exactly `count` bytes.
    static func ascii(_ text: String, count: Int, pad: UInt8 = 0x20) -> [UInt8] {
        var bytes = Array(text.utf8.prefix(count))
        while bytes.count < count { bytes.append(pad) }
        return bytes
    }
}
