/// Why virtio-net dropped a frame. Raw values are the names the VMM's `stats` can report.
public enum VirtioNetDrop: String, CaseIterable, Hashable, Sendable {
    // Guest → host (transmit queue). The chain goes back with used length 0 and the queue keeps working.
    /// The chain's readable bytes do not even hold the 12-byte header.
    case txHeaderTooShort = "tx-header-too-short"
    /// Header flags set (NEEDS_CSUM or others) although no checksum offload was negotiated.
    case txUnsupportedFlags = "tx-unsupported-flags"
    /// gso_type other than NONE although no segmentation offload was negotiated.
    case txUnsupportedGSO = "tx-unsupported-gso"
    /// Fewer than 14 bytes after the header: not an Ethernet frame.
    case txUndersize = "tx-undersize"
    /// More than `VirtioNet.maxFrame` bytes after the header.
    case txOversize = "tx-oversize"
    /// The chain has device-writable buffers: a transmit chain is read-only.
    case txWritableBuffers = "tx-writable-buffers"
    /// The backend could not take the frame without blocking (the tap's or the switch socket's queue is full).
    case txBackendBusy = "tx-backend-busy"
    /// The backend is gone (switch closed the connection) or failed the write.
    case txBackendDown = "tx-backend-down"

    // Host → guest (receive queue).
    /// Shorter than an Ethernet header.
    case rxUndersize = "rx-undersize"
    /// Longer than `VirtioNet.maxFrame`.
    case rxOversize = "rx-oversize"
    /// The guest has not posted buffers for a while: the bounded queue of waiting frames is full.
    case rxQueueFull = "rx-queue-full"
    /// The guest's next receive chain is smaller than header + frame.
    case rxBufferTooSmall = "rx-buffer-too-small"
    /// The driver has not set the device up (before DRIVER_OK, after a reset, in NEEDS_RESET).
    case rxNotReady = "rx-not-ready"
    /// Frames still waiting when the driver reset the device.
    case rxDiscardedAtReset = "rx-discarded-at-reset"
}

/// virtio-net counters, kept across device resets (the VMM's `stats` reports them).
public struct VirtioNetStats: Hashable, Sendable {
    /// Frames (and their bytes, headers not counted) delivered into guest receive buffers.
    public var framesIn: UInt64 = 0
    public var bytesIn: UInt64 = 0
    /// Frames (and their bytes) the guest sent that the backend took.
    public var framesOut: UInt64 = 0
    public var bytesOut: UInt64 = 0
    /// Chains returned unused because they were malformed: what the virtqueue rejected on either queue, and
    /// receive chains with readable buffers.
    public var invalidChains: UInt64 = 0
    public private(set) var drops: [VirtioNetDrop: UInt64] = [:]

    public init() {}

    public func dropped(_ reason: VirtioNetDrop) -> UInt64 { drops[reason] ?? 0 }

    public var totalDropped: UInt64 { drops.values.reduce(0, +) }

    mutating func drop(_ reason: VirtioNetDrop, count: Int = 1) {
        guard count > 0 else { return }  // a reset with nothing waiting leaves no zero entry behind
        drops[reason, default: 0] += UInt64(count)
    }
}
