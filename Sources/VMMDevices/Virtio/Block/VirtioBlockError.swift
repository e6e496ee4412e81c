/// Why a virtio-blk request failed, and the status byte the driver sees for it.
public enum VirtioBlockError: Error, Hashable, Sendable {
    /// The last descriptor is read-only (or the chain has no buffer): no status can be written; used length 0.
    case statusNotWritable
    case headerTooShort(UInt64)
    case unexpectedReadableData
    case unexpectedWritableData
    case missingData
    case lengthNotSectorMultiple(UInt64)
    case beyondCapacity(sector: UInt64, length: UInt64, capacity: UInt64)
    case readOnly
    case unsupported(UInt32)
    case backend(BlockBackendError)
    case guestMemory

    public static let statusOK: UInt8 = 0
    public static let statusIOError: UInt8 = 1
    public static let statusUnsupported: UInt8 = 2

    /// The status byte to report, or nil when it cannot be written.
    public var status: UInt8? {
        switch self {
        case .statusNotWritable: return nil
        case .unsupported: return Self.statusUnsupported
        default: return Self.statusIOError
        }
    }
}
