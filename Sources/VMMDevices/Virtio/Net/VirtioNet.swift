/// virtio-net (device id 1): queue 0 receives (host → guest), queue 1 transmits (guest → host), 256 entries each.
///
/// Features: MAC (the config space carries the address), STATUS (link always up), MTU (1500, so the guest never
/// raises its MTU above what this device passes) and EVENT_IDX. No checksum or segmentation offloads, no
/// MRG_RXBUF, no control queue: every frame carries the 12-byte `virtio_net_hdr` of VERSION_1 and is at most
/// `maxFrame` bytes (1500 + Ethernet header + one VLAN tag: Linux's GOOD_PACKET_LEN, the size of the receive
/// buffers it posts without offloads).
///
/// Transmit frames are validated (header, size, chain shape) and handed to `output`; a bad one is dropped and
/// counted by reason, its chain returned with used length 0. Host frames (`receive`) wait in a bounded queue until
/// the guest posts receive buffers; beyond `pendingLimit` they are dropped and counted, so a guest that stops
/// reading costs at most pendingLimit × maxFrame bytes. A reader that asks `receiveRoom` first and hands over no more
/// never loses a frame to that bound: it leaves the rest in its tap or socket until `onReceiveRoom` says the guest
/// made room. Errors of the virtqueue itself follow
/// `VirtqueueError.outcome`: the chain fails alone, or the device goes to NEEDS_RESET and stays quiet until reset.
public final class VirtioNet: VirtioDevice {
    public enum Feature {
        public static let mtu: UInt64 = 1 << 3
        public static let mac: UInt64 = 1 << 5
        public static let status: UInt64 = 1 << 16
    }

    public static let receiveQueue = 0
    public static let transmitQueue = 1
    public static let queueSize: UInt16 = 256
    public static let mtu = 1500
    /// Destination, source, EtherType.
    public static let minFrame = 14
    /// MTU + Ethernet header + a VLAN tag (Linux's GOOD_PACKET_LEN).
    public static let maxFrame = mtu + 14 + 4
    /// config status: VIRTIO_NET_S_LINK_UP.
    static let linkUp: UInt16 = 1

    public let mac: MACAddress
    public let output: any NetFrameOutput
    public let pendingLimit: Int
    public internal(set) var stats = VirtioNetStats()
    /// Set when a queue hit a NEEDS_RESET error: nothing more is processed until reset.
    public internal(set) var isBroken = false
    /// Called, under the device's lock, when waiting frames left the queue (the guest posted receive buffers), at a
    /// reset and on NEEDS_RESET: `receiveRoom` may have grown. It must not block or reenter the device.
    public var onReceiveRoom: (() -> Void)?
    var pending: [[UInt8]] = []
    var queues: [SplitVirtqueue?] = []
    var memory: (any GuestMemory)?
    var interrupt: VirtioInterrupt?

    public init(mac: MACAddress, output: any NetFrameOutput, pendingLimit: Int = 256) {
        self.mac = mac
        self.output = output
        self.pendingLimit = pendingLimit
    }

    public var deviceID: UInt32 { VirtioDeviceID.network }
    public var deviceFeatures: UInt64 { Feature.mac | Feature.status | Feature.mtu | VirtioFeature.eventIndex }
    public var queueMaxSizes: [UInt16] { [Self.queueSize, Self.queueSize] }

    /// mac[6], status u16, max_virtqueue_pairs u16 (1; meaningful only with MQ), mtu u16 (VIRTIO 1.x §5.1.4).
    public var configBytes: [UInt8] {
        func le(_ value: UInt16) -> [UInt8] { [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8)] }
        return mac.bytes + le(Self.linkUp) + le(1) + le(UInt16(Self.mtu))
    }

    /// Host frames waiting for guest receive buffers.
    public var pendingFrames: Int { pending.count }
    public var isActive: Bool { interrupt != nil && !isBroken }
    /// How many more host frames `receive` queues now without dropping any as `rx-queue-full`. Unlimited while the
    /// device is not active: those frames are dropped as `rx-not-ready` however long the host holds them.
    public var receiveRoom: Int { isActive ? max(0, pendingLimit - pending.count) : .max }

    public func activate(features: UInt64, queues: [SplitVirtqueue?], memory: any GuestMemory,
                         interrupt: VirtioInterrupt) throws(VirtioActivationError) {
        for index in [Self.receiveQueue, Self.transmitQueue] where index >= queues.count || queues[index] == nil {
            throw .queueNotReady(index)
        }
        self.queues = queues
        self.memory = memory
        self.interrupt = interrupt
        isBroken = false
    }

    /// Status 0: queues and waiting frames are forgotten; the counters stay.
    public func reset() {
        stats.drop(.rxDiscardedAtReset, count: pending.count)
        pending = []
        queues = []
        memory = nil
        interrupt = nil
        isBroken = false
        onReceiveRoom?()
    }

    public func notify(queue index: Int) {
        switch index {
        case Self.receiveQueue:
            let waiting = pending.count
            deliverPending()
            if pending.count < waiting { onReceiveRoom?() }
        case Self.transmitQueue: transmit()
        default: break
        }
    }

    func queue(_ index: Int) -> SplitVirtqueue? {
        guard !isBroken, index < queues.count else { return nil }
        return queues[index]
    }

    func broke(_ error: VirtqueueError) {
        isBroken = true
        interrupt?.needsReset("virtio-net queue: \(error)")
        onReceiveRoom?()  // not active now: what the host holds is dropped as not ready rather than left waiting
    }
}
