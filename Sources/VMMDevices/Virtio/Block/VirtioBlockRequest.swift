/// One virtio-blk request parsed from a validated chain (VIRTIO 1.x §5.2.6):
/// a 16-byte readable header {type u32, ioprio u32, sector u64}, the data, and a 1-byte status that must be the
/// last byte of a device-writable last descriptor.
public struct VirtioBlockRequest: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        case read(sector: UInt64)
        case write(sector: UInt64)
        case flush
        case getID
    }

    public static let headerLength: UInt64 = 16
    public static let sectorSize: UInt64 = 512
    public static let idLength = 20

    public enum RequestType {
        public static let read: UInt32 = 0
        public static let write: UInt32 = 1
        public static let flush: UInt32 = 4
        public static let getID: UInt32 = 8
    }

    public var kind: Kind
    /// IN and GET_ID: the writable bytes before the status; OUT: the readable bytes after the header.
    public var data: [GuestSpan]
    public var dataLength: UInt64
    public var status: GuestAddress

    /// Where the status byte goes, or `.statusNotWritable` when the last descriptor is read-only (then the request
    /// cannot even be failed with a status: it is returned with used length 0).
    public static func statusAddress(of chain: DescriptorChain) throws(VirtioBlockError) -> GuestAddress {
        guard let last = chain.buffers.last, last.writable else { throw .statusNotWritable }
        // A validated buffer has length ≥ 1 and lies in RAM, so the last byte's address cannot overflow.
        return GuestAddress(last.address.value + UInt64(last.length) - 1)
    }

    /// Parses a chain whose status address is known. Errors map to a status code (`VirtioBlockError.status`).
    public static func parse(_ chain: DescriptorChain, memory: any GuestMemory) throws(VirtioBlockError) -> VirtioBlockRequest {
        let status = try statusAddress(of: chain)
        let readableLength = chain.readableLength
        let writableData = chain.writableLength - 1
        guard readableLength >= headerLength, let headerSpans = chain.readable.spans(from: 0, count: headerLength) else {
            throw .headerTooShort(readableLength)
        }
        var header: [UInt8] = []
        for span in headerSpans {
            do throws(GuestMemoryError) {
                header += try memory.readBytes(span.address, count: Int(span.length))
            } catch {
                throw .guestMemory
            }
        }
        func field<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
            (0..<MemoryLayout<T>.size).reversed().reduce(T(0)) { $0 << 8 | T(header[offset + $1]) }
        }
        let type = field(0, UInt32.self)
        let sector = field(8, UInt64.self)

        switch type {
        case RequestType.read:
            guard readableLength == headerLength else { throw .unexpectedReadableData }
            return try request(.read(sector: sector), chain.writable.spans(from: 0, count: writableData), writableData, status)
        case RequestType.write:
            guard writableData == 0 else { throw .unexpectedWritableData }
            let length = readableLength - headerLength
            return try request(.write(sector: sector), chain.readable.spans(from: headerLength, count: length), length, status)
        case RequestType.flush:
            guard readableLength == headerLength else { throw .unexpectedReadableData }
            guard writableData == 0 else { throw .unexpectedWritableData }
            return VirtioBlockRequest(kind: .flush, data: [], dataLength: 0, status: status)
        case RequestType.getID:
            guard readableLength == headerLength else { throw .unexpectedReadableData }
            guard writableData > 0 else { throw .missingData }
            return try request(.getID, chain.writable.spans(from: 0, count: writableData), writableData, status)
        default:
            throw .unsupported(type)
        }
    }

    private static func request(_ kind: Kind, _ spans: [GuestSpan]?, _ length: UInt64,
                                _ status: GuestAddress) throws(VirtioBlockError) -> VirtioBlockRequest {
        // The lengths come from the same chain, so the spans always exist; stay defensive anyway.
        guard let spans else { throw .guestMemory }
        return VirtioBlockRequest(kind: kind, data: spans, dataLength: length, status: status)
    }
}
