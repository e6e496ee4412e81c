/// Storage behind a virtio-blk device. Offsets and lengths are bytes; the device checks them against `size`
/// before calling, and backends check again.
public protocol BlockBackend: AnyObject {
    /// Bytes of storage; the device exposes floor(size / 512) sectors.
    var size: UInt64 { get }
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockBackendError)
    func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockBackendError)
    func flush() throws(BlockBackendError)
}

public enum BlockBackendError: Error, Hashable, Sendable {
    case outOfRange(offset: UInt64, length: UInt64)
    case readOnly
    /// A system call failed: the operation and errno.
    case io(String, Int32)
    case open(path: String, errno: Int32)
}

extension BlockBackend {
    /// Whether [offset, offset+length) lies inside the backend, without overflow.
    public func contains(offset: UInt64, length: UInt64) -> Bool {
        offset <= size && length <= size - offset
    }
}
