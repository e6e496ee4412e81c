/// The 12-byte `virtio_net_hdr` in front of every frame (VIRTIO 1.x §5.1.6: VERSION_1 always has num_buffers).
/// Fields are little-endian.
public struct VirtioNetHeader: Hashable, Sendable {
    public static let length = 12
    /// flags: the driver asks the device to checksum (needs VIRTIO_NET_F_CSUM, which we do not offer).
    public static let needsChecksum: UInt8 = 1
    /// gso_type: no segmentation offload.
    public static let gsoNone: UInt8 = 0

    public var flags: UInt8 = 0
    public var gsoType: UInt8 = Self.gsoNone
    public var headerLength: UInt16 = 0
    public var gsoSize: UInt16 = 0
    public var checksumStart: UInt16 = 0
    public var checksumOffset: UInt16 = 0
    public var bufferCount: UInt16 = 0

    public init(flags: UInt8 = 0, gsoType: UInt8 = Self.gsoNone, bufferCount: UInt16 = 0) {
        self.flags = flags
        self.gsoType = gsoType
        self.bufferCount = bufferCount
    }

    /// Parses the first 12 bytes (the caller passes at least that many).
    public init(parsing bytes: [UInt8]) {
        func field(_ offset: Int) -> UInt16 { UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8 }
        flags = bytes[0]
        gsoType = bytes[1]
        headerLength = field(2)
        gsoSize = field(4)
        checksumStart = field(6)
        checksumOffset = field(8)
        bufferCount = field(10)
    }

    /// What the device puts in front of a received frame: no offload information, one buffer (no MRG_RXBUF, so
    /// num_buffers is always 1).
    public static let received = VirtioNetHeader(bufferCount: 1)

    public var bytes: [UInt8] {
        func le(_ value: UInt16) -> [UInt8] { [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8)] }
        return [flags, gsoType] + le(headerLength) + le(gsoSize) + le(checksumStart) + le(checksumOffset) + le(bufferCount)
    }

    /// Why a transmit header asks for something not negotiated, or nil when it is usable. Without CSUM and the
    /// HOST_* GSO features the driver must send flags 0 and gso_type NONE (§5.1.6.2.1); the other fields are
    /// then meaningless and ignored (num_buffers is 0 on transmit).
    public var transmitProblem: VirtioNetDrop? {
        if flags != 0 { return .txUnsupportedFlags }
        if gsoType != Self.gsoNone { return .txUnsupportedGSO }
        return nil
    }
}
