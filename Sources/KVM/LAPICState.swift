/// The in-kernel local APIC's 1 KiB register page (struct kvm_lapic_state), with 32-bit register access.
public struct LAPICState: Equatable, Sendable {
    public static let size = 1024
    /// LVT LINT0 / LINT1 register offsets.
    public static let lint0: Int = 0x350
    public static let lint1: Int = 0x360

    /// LVT delivery modes (bits 10:8).
    public enum DeliveryMode: UInt32, Sendable {
        case fixed = 0, smi = 2, nmi = 4, initiate = 5, extINT = 7
    }

    public var bytes: [UInt8]

    /// nil unless `bytes` is exactly one 1024-byte register page.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.size else { return nil }
        self.bytes = bytes
    }

    /// The little-endian 32-bit register at `offset` (a multiple of 16 below 1024).
    public subscript(register offset: Int) -> UInt32 {
        get { (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << UInt32($1 * 8) } }
        set { for byte in 0..<4 { bytes[offset + byte] = UInt8(truncatingIfNeeded: newValue >> UInt32(byte * 8)) } }
    }

    /// Sets the delivery mode of the LVT entry at `offset`, keeping its other bits (vmm-facts.md §1 step 11f).
    public mutating func setDeliveryMode(_ mode: DeliveryMode, at offset: Int) {
        self[register: offset] = (self[register: offset] & ~0x700) | (mode.rawValue << 8)
    }
}
