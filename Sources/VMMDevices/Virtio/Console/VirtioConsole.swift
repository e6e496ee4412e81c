/// virtio-console (device id 3) with a single port: queue 0 receives (host → guest), queue 1 transmits
/// (guest → host). No MULTIPORT or SIZE, so the config space (cols, rows, max_nr_ports, emerg_wr) reads as zeros.
/// Linux binds it to hvc0; it is the second channel to the guest, for an agent later.
///
/// Host input waits in a bounded buffer until the guest posts receive buffers; input beyond the bound is dropped
/// and counted. Transmit buffers' readable bytes go to `output`; writable ones in a transmit chain (or readable
/// ones in a receive chain) are ignored.
public final class VirtioConsole: VirtioDevice {
    public struct Stats: Hashable, Sendable {
        public var bytesIn: UInt64 = 0
        public var bytesOut: UInt64 = 0
        public var droppedInput: UInt64 = 0
        public var invalidChains = 0
    }

    public static let receiveQueue = 0
    public static let transmitQueue = 1
    public static let queueSize: UInt16 = 256
    static let chunkSize = 64 * 1024

    public let output: any VirtioConsoleOutput
    public let inputLimit: Int
    public internal(set) var stats = Stats()
    public internal(set) var isBroken = false
    var pending: [UInt8] = []
    var queues: [SplitVirtqueue?] = []
    var memory: (any GuestMemory)?
    var interrupt: VirtioInterrupt?

    public init(output: any VirtioConsoleOutput, inputLimit: Int = 64 * 1024) {
        self.output = output
        self.inputLimit = inputLimit
    }

    public var deviceID: UInt32 { VirtioDeviceID.console }
    public var deviceFeatures: UInt64 { VirtioFeature.eventIndex }
    public var queueMaxSizes: [UInt16] { [Self.queueSize, Self.queueSize] }
    public var configBytes: [UInt8] { [UInt8](repeating: 0, count: 12) }
    /// Host bytes waiting for guest receive buffers.
    public var pendingInput: Int { pending.count }

    public func activate(features: UInt64, queues: [SplitVirtqueue?], memory: any GuestMemory,
                         interrupt: VirtioInterrupt) throws(VirtioActivationError) {
        for index in [Self.receiveQueue, Self.transmitQueue] where index >= queues.count || queues[index] == nil {
            throw .queueNotReady(index)
        }
        self.queues = queues
        self.memory = memory
        self.interrupt = interrupt
        isBroken = false
        deliverInput()
    }

    public func reset() {
        queues = []
        memory = nil
        interrupt = nil
        isBroken = false
    }

    public func notify(queue index: Int) {
        switch index {
        case Self.receiveQueue: deliverInput()
        case Self.transmitQueue: drainOutput()
        default: break
        }
    }

    /// Host input for the guest. Returns how many bytes were accepted (the rest did not fit in the buffer).
    @discardableResult
    public func receive(_ bytes: [UInt8]) -> Int {
        let accepted = min(bytes.count, max(0, inputLimit - pending.count))
        pending += bytes.prefix(accepted)
        stats.droppedInput += UInt64(bytes.count - accepted)
        deliverInput()
        return accepted
    }

    func queue(_ index: Int) -> SplitVirtqueue? {
        guard !isBroken, index < queues.count else { return nil }
        return queues[index]
    }

    func broke(_ error: VirtqueueError) {
        isBroken = true
        interrupt?.needsReset("virtio-console queue: \(error)")
    }
}
