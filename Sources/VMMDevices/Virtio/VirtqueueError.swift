/// What went wrong with guest-supplied virtqueue data. Every case has a defined outcome (see `outcome`):
/// a bad chain fails only its request; a bad queue layout or ring index puts the device into NEEDS_RESET.
public enum VirtqueueError: Error, Hashable, Sendable {
    public enum Ring: String, Hashable, Sendable {
        case descriptorTable = "descriptor table"
        case availRing = "available ring"
        case usedRing = "used ring"
    }

    // Queue layout (checked when the driver sets DRIVER_OK).
    case invalidSize(size: UInt16, max: UInt16)
    case misaligned(Ring, address: UInt64)
    case ringOutsideMemory(Ring, address: UInt64, length: UInt64)

    // Ring state (checked on every pop).
    /// avail.idx moved further ahead of the device than the queue has entries.
    case availIndexJump(availIndex: UInt16, nextAvail: UInt16, size: UInt16)
    case headOutOfRange(head: UInt16, size: UInt16)
    /// Guest memory refused a ring access that validation had allowed (memory changed under us).
    case ringAccessFailed(Ring)

    // One descriptor chain.
    case nextOutOfRange(next: UInt16, tableSize: UInt32)
    /// More descriptors than the table holds: a loop, or a chain longer than the queue.
    case chainTooLong(limit: UInt32)
    case zeroLength(index: UInt16)
    case bufferOutsideMemory(address: UInt64, length: UInt32)
    /// The chain's buffers add up to more than 4 GiB - 1 (a used length cannot say how much was written).
    case chainTooLarge
    case readableAfterWritable(index: UInt16)
    case indirectNotNegotiated
    case indirectWithNext
    case nestedIndirect
    case indirectBadLength(UInt32)
    case indirectOutsideMemory(address: UInt64, length: UInt32)

    public enum Outcome: Sendable {
        /// The chain is returned to the driver with used length 0; the queue keeps working.
        case requestFailed
        /// The device sets NEEDS_RESET, raises a config-change interrupt and ignores the queue until reset.
        case deviceNeedsReset
    }

    public var outcome: Outcome {
        switch self {
        case .invalidSize, .misaligned, .ringOutsideMemory, .availIndexJump, .headOutOfRange, .ringAccessFailed:
            return .deviceNeedsReset
        case .nextOutOfRange, .chainTooLong, .zeroLength, .bufferOutsideMemory, .chainTooLarge, .readableAfterWritable,
             .indirectNotNegotiated, .indirectWithNext, .nestedIndirect, .indirectBadLength, .indirectOutsideMemory:
            return .requestFailed
        }
    }
}
