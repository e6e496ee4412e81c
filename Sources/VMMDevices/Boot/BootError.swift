/// Why a kernel, initrd or command line cannot be used. Each case names the file field or value at fault.
public enum BootError: Error, Equatable, Sendable, CustomStringConvertible {
    case imageTooSmall(kind: String, size: Int, needed: Int)
    case badMagic(kind: String, found: String)
    case unsupportedBootProtocol(version: UInt16, minimum: UInt16)
    case not64BitCapable(xloadflags: UInt16)
    case notLoadedHigh(loadflags: UInt8)
    case badField(name: String, value: UInt64, reason: String)
    case elfUnsupported(reason: String)
    case segmentOutsideFile(index: Int, offset: UInt64, size: UInt64, fileSize: Int)
    case segmentBelowHighMemory(index: Int, address: UInt64)
    case doesNotFitInGuestMemory(what: String, address: UInt64, size: UInt64)
    case ramTooSmall(size: UInt64, minimum: UInt64)
    case cmdlineInvalid(reason: String)
    case cmdlineTooLong(length: Int, maximum: Int)
    case initrdDoesNotFit(size: UInt64, reason: String)
    case tooManyE820Entries(count: Int, maximum: Int)

    public var description: String {
        switch self {
        case let .imageTooSmall(kind, size, needed):
            return "\(kind): the file has \(size) bytes, at least \(needed) are needed"
        case let .badMagic(kind, found):
            return "\(kind): wrong magic (found \(found))"
        case let .unsupportedBootProtocol(version, minimum):
            return "bzImage: boot protocol \(HexText.short(version)) is older than the required \(HexText.short(minimum))"
        case let .not64BitCapable(flags):
            return "bzImage: xloadflags \(HexText.short(flags)) lack XLF_KERNEL_64 (no 64-bit entry point)"
        case let .notLoadedHigh(flags):
            return "bzImage: loadflags \(HexText.short(flags)) lack LOADED_HIGH (not a bzImage)"
        case let .badField(name, value, reason):
            return "\(name) = \(HexText.short(value)): \(reason)"
        case let .elfUnsupported(reason):
            return "ELF vmlinux: \(reason)"
        case let .segmentOutsideFile(index, offset, size, fileSize):
            return "ELF vmlinux: segment \(index) [\(HexText.short(offset)), +\(HexText.short(size))) lies outside the \(fileSize)-byte file"
        case let .segmentBelowHighMemory(index, address):
            return "ELF vmlinux: segment \(index) loads at \(HexText.short(address)), below 1 MiB"
        case let .doesNotFitInGuestMemory(what, address, size):
            return "\(what) [\(HexText.short(address)), +\(HexText.short(size))) does not fit in guest RAM"
        case let .ramTooSmall(size, minimum):
            return "guest RAM of \(size) bytes is below the minimum of \(minimum) bytes"
        case let .cmdlineInvalid(reason):
            return "kernel command line: \(reason)"
        case let .cmdlineTooLong(length, maximum):
            return "kernel command line: \(length) bytes exceed the kernel's limit of \(maximum)"
        case let .initrdDoesNotFit(size, reason):
            return "initrd of \(size) bytes: \(reason)"
        case let .tooManyE820Entries(count, maximum):
            return "e820 map: \(count) entries exceed the \(maximum) that boot_params holds"
        }
    }
}

/// Hex rendering for messages.
enum HexText {
    static func short<T: BinaryInteger>(_ value: T) -> String { "0x" + String(value, radix: 16, uppercase: true) }
}
