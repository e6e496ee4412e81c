/// A guest-physical address.
public struct GuestAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var value: UInt64

    public init(_ value: UInt64) { self.value = value }

    public static func < (a: GuestAddress, b: GuestAddress) -> Bool { a.value < b.value }

    /// The address `offset` bytes further, or nil on overflow (guest-supplied values can be anything).
    public func adding(_ offset: UInt64) -> GuestAddress? {
        let (sum, overflow) = value.addingReportingOverflow(offset)
        return overflow ? nil : GuestAddress(sum)
    }

    public var description: String { "0x" + String(value, radix: 16) }
}

public enum GuestMemoryError: Error, Equatable, Sendable {
    /// [address, address+length) is not entirely inside guest RAM (or overflows).
    case outOfBounds(address: UInt64, length: UInt64)
}

/// Guest RAM as devices see it. Every access is bounds-checked: addresses and lengths come from the guest.
/// The KVM layer backs it with the real mmap; tests use `ByteGuestMemory`.
public protocol GuestMemory: AnyObject, Sendable {
    /// The RAM regions, sorted and non-overlapping.
    var regions: [GuestMemoryRegion] { get }
    func read(_ address: GuestAddress, into buffer: UnsafeMutableRawBufferPointer) throws(GuestMemoryError)
    func write(_ address: GuestAddress, from buffer: UnsafeRawBufferPointer) throws(GuestMemoryError)
}

public struct GuestMemoryRegion: Hashable, Sendable {
    public var start: GuestAddress
    public var size: UInt64

    public init(start: GuestAddress, size: UInt64) {
        self.start = start
        self.size = size
    }

    /// Whether [address, address+length) lies inside this region, without overflow.
    public func contains(_ address: GuestAddress, length: UInt64) -> Bool {
        guard address.value >= start.value else { return false }
        let offset = address.value - start.value
        return offset <= size && length <= size - offset
    }
}

extension GuestMemory {
    public var totalSize: UInt64 { regions.reduce(0) { $0 + $1.size } }

    public func readBytes(_ address: GuestAddress, count: Int) throws(GuestMemoryError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var failure: GuestMemoryError?
        bytes.withUnsafeMutableBytes { buffer in
            do throws(GuestMemoryError) { try read(address, into: buffer) } catch { failure = error }
        }
        if let failure { throw failure }
        return bytes
    }

    public func writeBytes(_ address: GuestAddress, _ bytes: [UInt8]) throws(GuestMemoryError) {
        var failure: GuestMemoryError?
        bytes.withUnsafeBytes { buffer in
            do throws(GuestMemoryError) { try write(address, from: buffer) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Little-endian integer read, as the guest stores it.
    public func readInteger<T: FixedWidthInteger>(_ address: GuestAddress, as: T.Type = T.self) throws(GuestMemoryError) -> T {
        let bytes = try readBytes(address, count: MemoryLayout<T>.size)
        return bytes.reversed().reduce(T(0)) { $0 << 8 | T($1) }
    }

    public func writeInteger<T: FixedWidthInteger>(_ address: GuestAddress, _ value: T) throws(GuestMemoryError) {
        let bytes = (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
        try writeBytes(address, bytes)
    }
}

/// Guest memory in an ordinary array: for unit tests, fuzzing and building images before they are mapped.
public final class ByteGuestMemory: GuestMemory, @unchecked Sendable {
    public let regions: [GuestMemoryRegion]
    private var storage: [[UInt8]]

    public init(regions: [GuestMemoryRegion]) {
        self.regions = regions.sorted { $0.start < $1.start }
        storage = self.regions.map { [UInt8](repeating: 0, count: Int($0.size)) }
    }

    public convenience init(size: UInt64) {
        self.init(regions: [GuestMemoryRegion(start: GuestAddress(0), size: size)])
    }

    private func locate(_ address: GuestAddress, _ length: Int) throws(GuestMemoryError) -> (Int, Int) {
        for (index, region) in regions.enumerated() where region.contains(address, length: UInt64(length)) {
            return (index, Int(address.value - region.start.value))
        }
        throw GuestMemoryError.outOfBounds(address: address.value, length: UInt64(length))
    }

    public func read(_ address: GuestAddress, into buffer: UnsafeMutableRawBufferPointer) throws(GuestMemoryError) {
        let (region, offset) = try locate(address, buffer.count)
        storage[region].withUnsafeBytes { source in
            // locate() proved [offset, offset+count) is inside this region's storage.
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<offset + buffer.count]))
        }
    }

    public func write(_ address: GuestAddress, from buffer: UnsafeRawBufferPointer) throws(GuestMemoryError) {
        let (region, offset) = try locate(address, buffer.count)
        storage[region].withUnsafeMutableBytes { target in
            // locate() proved [offset, offset+count) is inside this region's storage.
            UnsafeMutableRawBufferPointer(rebasing: target[offset..<offset + buffer.count]).copyMemory(from: buffer)
        }
    }
}
