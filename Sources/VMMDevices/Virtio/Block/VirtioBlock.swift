/// virtio-blk (device id 2): one request queue over a `BlockBackend`.
/// Features: FLUSH, EVENT_IDX, INDIRECT_DESC, and RO for a read-only disk. Config: capacity in 512-byte sectors.
public final class VirtioBlock: VirtioDevice {
    public enum Feature {
        public static let readOnly: UInt64 = 1 << 5
        public static let flush: UInt64 = 1 << 9
    }

    public struct Stats: Hashable, Sendable {
        public var completed = 0
        /// Chains the queue rejected (returned with used length 0).
        public var invalidChains = 0
        /// Requests answered with IOERR or UNSUPP, or not answerable (status in a read-only descriptor).
        public var failedRequests = 0
        public var bytesRead: UInt64 = 0
        public var bytesWritten: UInt64 = 0
        public var flushes = 0
    }

    public static let queueSize: UInt16 = 256
    /// Largest bounce buffer for one transfer step; a request of any size is moved in pieces of this.
    static let chunkSize = 128 * 1024

    public let backend: any BlockBackend
    public let readOnly: Bool
    /// The 20-byte serial GET_ID returns (zero-padded).
    public let serial: [UInt8]
    public internal(set) var stats = Stats()
    var queue: SplitVirtqueue?
    var memory: (any GuestMemory)?
    var interrupt: VirtioInterrupt?
    /// Set when the queue hit a NEEDS_RESET error: nothing more is processed until reset.
    public private(set) var isBroken = false

    public init(backend: any BlockBackend, readOnly: Bool = false, serial: String = "") {
        self.backend = backend
        self.readOnly = readOnly
        let bytes = Array(serial.utf8.prefix(VirtioBlockRequest.idLength))
        self.serial = bytes + [UInt8](repeating: 0, count: VirtioBlockRequest.idLength - bytes.count)
    }

    public var capacity: UInt64 { backend.size / VirtioBlockRequest.sectorSize }

    public var deviceID: UInt32 { VirtioDeviceID.block }
    public var deviceFeatures: UInt64 {
        Feature.flush | VirtioFeature.eventIndex | VirtioFeature.indirectDescriptors | (readOnly ? Feature.readOnly : 0)
    }
    public var queueMaxSizes: [UInt16] { [Self.queueSize] }
    public var configBytes: [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: capacity >> (8 * $0)) } }

    public func activate(features: UInt64, queues: [SplitVirtqueue?], memory: any GuestMemory,
                         interrupt: VirtioInterrupt) throws(VirtioActivationError) {
        guard let first = queues.first, let queue = first else { throw .queueNotReady(0) }
        self.queue = queue
        self.memory = memory
        self.interrupt = interrupt
        isBroken = false
    }

    public func reset() {
        queue = nil
        memory = nil
        interrupt = nil
        isBroken = false
    }

    public func notify(queue index: Int) {
        guard index == 0, !isBroken, let queue, let memory, let interrupt else { return }
        do throws(VirtqueueError) {
            let wanted = try queue.processAvailable(invalid: { _ in stats.invalidChains += 1 }) { chain in
                handle(chain, memory: memory)
            }
            if wanted { interrupt.usedBuffer() }
        } catch {
            isBroken = true
            interrupt.needsReset("virtio-blk queue: \(error)")
        }
    }
}
