/// A block backend in an array: for tests and fuzzing.
public final class MemoryBlockBackend: BlockBackend {
    public private(set) var bytes: [UInt8]
    public let readOnly: Bool
    public private(set) var flushCount = 0

    public init(bytes: [UInt8], readOnly: Bool = false) {
        self.bytes = bytes
        self.readOnly = readOnly
    }

    public convenience init(size: Int, readOnly: Bool = false) {
        self.init(bytes: [UInt8](repeating: 0, count: size), readOnly: readOnly)
    }

    public var size: UInt64 { UInt64(bytes.count) }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockBackendError) {
        guard contains(offset: offset, length: UInt64(buffer.count)) else {
            throw .outOfRange(offset: offset, length: UInt64(buffer.count))
        }
        let start = Int(offset)
        bytes.withUnsafeBytes { source in
            // contains() proved [start, start+count) is inside `bytes`.
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[start..<start + buffer.count]))
        }
    }

    public func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockBackendError) {
        guard !readOnly else { throw .readOnly }
        guard contains(offset: offset, length: UInt64(buffer.count)) else {
            throw .outOfRange(offset: offset, length: UInt64(buffer.count))
        }
        let start = Int(offset)
        bytes.withUnsafeMutableBytes { target in
            // contains() proved [start, start+count) is inside `bytes`.
            UnsafeMutableRawBufferPointer(rebasing: target[start..<start + buffer.count]).copyMemory(from: buffer)
        }
    }

    public func flush() throws(BlockBackendError) {
        flushCount += 1
    }
}
