import VMMDevices

/// virtio-blk request helpers over a `VirtioTestDriver`.
extension VirtioTestDriver {
    static let blkIn: UInt32 = 0
    static let blkOut: UInt32 = 1
    static let blkFlush: UInt32 = 4
    static let blkGetID: UInt32 = 8

    func header(_ type: UInt32, sector: UInt64 = 0) -> UInt64 {
        let bytes = (0..<4).map { UInt8(truncatingIfNeeded: type >> (8 * $0)) } + [0, 0, 0, 0]
            + (0..<8).map { UInt8(truncatingIfNeeded: sector >> (8 * $0)) }
        return allocate(16, fill: bytes)
    }

    /// A status byte preset to 0xFF so a test sees whether the device wrote it.
    func statusByte() -> UInt64 { allocate(1, fill: [0xFF]) }

    /// The chain Linux builds: header (readable), data (writable for IN/GET_ID, readable for OUT), status.
    func blkChain(_ type: UInt32, sector: UInt64 = 0, data: UInt64? = nil, dataLength: UInt32 = 0,
                  status: UInt64) -> [TestDescriptor] {
        var chain = [TestDescriptor.readable(header(type, sector: sector), 16)]
        if let data {
            chain.append(type == Self.blkOut ? .readable(data, dataLength) : .writable(data, dataLength))
        }
        chain.append(.writable(status, 1))
        return chain
    }

    /// Reads `sectors` sectors at `sector`; returns the status byte, used length and the data read.
    func blkRead(sector: UInt64, sectors: Int = 1) -> (status: UInt8, used: UInt32?, data: [UInt8]) {
        let data = allocate(512 * sectors)
        let status = statusByte()
        let used = submit(blkChain(Self.blkIn, sector: sector, data: data, dataLength: UInt32(512 * sectors), status: status))
        return (bytes(status, 1).first ?? 0xEE, used.last?.length, bytes(data, 512 * sectors))
    }

    func blkWrite(sector: UInt64, _ payload: [UInt8]) -> (status: UInt8, used: UInt32?) {
        let data = allocate(payload.count, fill: payload)
        let status = statusByte()
        let used = submit(blkChain(Self.blkOut, sector: sector, data: data, dataLength: UInt32(payload.count), status: status))
        return (bytes(status, 1).first ?? 0xEE, used.last?.length)
    }
}
