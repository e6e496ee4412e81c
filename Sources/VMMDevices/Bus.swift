/// A device on the port-I/O or MMIO bus. `offset` is relative to the start of the device's range;
/// `data.count` is the access width (1, 2, 4 or 8 bytes). Reads fill `data`; unknown registers read as 0.
public protocol BusDevice: AnyObject {
    func read(offset: UInt64, data: inout [UInt8])
    func write(offset: UInt64, data: [UInt8])
}

/// Raises a guest interrupt (edge). The VMM backs it with an irqfd or KVM_IRQ_LINE; tests count calls.
public protocol InterruptLine: AnyObject, Sendable {
    func trigger()
}

/// Routes accesses to the device owning the address range. Accesses nobody claims are answered at once
/// (reads as zero) and counted, so a probing guest never stalls the VMM.
public final class Bus {
    public struct Range: Hashable, Sendable {
        public var base: UInt64
        public var length: UInt64

        public init(base: UInt64, length: UInt64) {
            self.base = base
            self.length = length
        }

        public func contains(_ address: UInt64) -> Bool { address >= base && address - base < length }
        func overlaps(_ other: Range) -> Bool { base < other.base &+ other.length && other.base < base &+ length }
    }

    public enum Failure: Error, Equatable {
        case overlap(Range)
        case empty
    }

    private var entries: [(range: Range, device: any BusDevice)] = []
    public private(set) var unclaimedReads = 0
    public private(set) var unclaimedWrites = 0

    public init() {}

    public func register(_ device: any BusDevice, at range: Range) throws {
        guard range.length > 0 else { throw Failure.empty }
        if let clash = entries.first(where: { $0.range.overlaps(range) }) { throw Failure.overlap(clash.range) }
        entries.append((range, device))
        entries.sort { $0.range.base < $1.range.base }
    }

    public func device(at address: UInt64) -> (device: any BusDevice, offset: UInt64)? {
        // Few devices: a linear scan is faster than anything clever.
        for entry in entries where entry.range.contains(address) { return (entry.device, address - entry.range.base) }
        return nil
    }

    public func read(_ address: UInt64, data: inout [UInt8]) {
        guard let (device, offset) = device(at: address) else {
            for index in data.indices { data[index] = 0 }
            unclaimedReads += 1
            return
        }
        device.read(offset: offset, data: &data)
    }

    public func write(_ address: UInt64, data: [UInt8]) {
        guard let (device, offset) = device(at: address) else {
            unclaimedWrites += 1
            return
        }
        device.write(offset: offset, data: data)
    }
}
