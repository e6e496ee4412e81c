/// virtio-console (device id 3). Port 0 is the console: queue 0 receives (host → guest), queue 1 transmits
/// (guest → host); Linux binds it to hvc0. Given named ports, the device also offers MULTIPORT (VIRTIO 1.x §5.3):
/// `max_nr_ports` in the config space, control receive/transmit queues 2/3 and port N's queues 2N+2/2N+3.
/// The driver then learns the ports from control messages (DEVICE_ADD, CONSOLE_PORT for port 0, PORT_NAME) and
/// hears with PORT_OPEN when a host client attaches or leaves (`setHostConnected`): its reads see end of file
/// while none is, as with QEMU's virtserialport. No SIZE feature: cols and rows read as zero.
///
/// Host input waits in a bounded buffer per port until the guest posts receive buffers (for a generic port: and
/// has the port open); input beyond the bound is dropped and counted. Transmit buffers' readable bytes go to the
/// port's `output`; writable ones in a transmit chain (or readable ones in a receive chain) are ignored.
/// Malformed or unexpected driver control messages are counted in `stats.invalidControl` and ignored.
public final class VirtioConsole: VirtioDevice {
    public struct Stats: Hashable, Sendable {
        public var bytesIn: UInt64 = 0
        public var bytesOut: UInt64 = 0
        public var droppedInput: UInt64 = 0
        public var invalidChains = 0
        /// Driver control messages ignored: shorter than the header, an unknown or device-only event, a bad port id.
        public var invalidControl = 0
        /// Device control messages lost because the driver left more than `controlLimit` of them unread.
        public var droppedControl = 0
    }

    public static let receiveQueue = 0
    public static let transmitQueue = 1
    public static let controlReceiveQueue = 2
    public static let controlTransmitQueue = 3
    public static let queueSize: UInt16 = 256
    public static let controlQueueSize: UInt16 = 32
    /// VIRTIO_CONSOLE_F_MULTIPORT.
    public static let multiportFeature: UInt64 = 1 << 1
    static let chunkSize = 64 * 1024
    /// Device → driver control messages held while the driver posts no control receive buffers.
    static let controlLimit = 64

    public let inputLimit: Int
    public internal(set) var stats = Stats()
    public internal(set) var isBroken = false
    /// The driver accepted MULTIPORT (only then do ports 1… and the control queues exist).
    public internal(set) var isMultiport = false
    var ports: [VirtioConsolePort]
    var controlPending: [VirtioConsoleControl] = []
    var queues: [SplitVirtqueue?] = []
    var memory: (any GuestMemory)?
    var interrupt: VirtioInterrupt?

    /// `output` takes port 0's (the console's) output; each named port becomes port 1, 2, … in order, and
    /// MULTIPORT is offered only when there is one.
    public init(output: any VirtioConsoleOutput, namedPorts: [VirtioConsolePort] = [], inputLimit: Int = 64 * 1024) {
        ports = [VirtioConsolePort(name: nil, output: output)] + namedPorts
        self.inputLimit = inputLimit
    }

    var offersMultiport: Bool { ports.count > 1 }
    public var portCount: Int { ports.count }

    public var deviceID: UInt32 { VirtioDeviceID.console }
    public var deviceFeatures: UInt64 { VirtioFeature.eventIndex | (offersMultiport ? Self.multiportFeature : 0) }
    public var queueMaxSizes: [UInt16] {
        guard offersMultiport else { return [Self.queueSize, Self.queueSize] }
        return [Self.queueSize, Self.queueSize, Self.controlQueueSize, Self.controlQueueSize]
            + Array(repeating: Self.queueSize, count: 2 * (ports.count - 1))
    }
    /// cols u16, rows u16, max_nr_ports u32, emerg_wr u32 (little-endian).
    public var configBytes: [UInt8] {
        let maxPorts = UInt32(offersMultiport ? ports.count : 0)
        return [0, 0, 0, 0] + (0..<4).map { UInt8(truncatingIfNeeded: maxPorts >> (8 * $0)) } + [0, 0, 0, 0]
    }

    /// Port `port`'s receive queue (its transmit queue is the next one).
    public static func receiveQueue(port: Int) -> Int { port == 0 ? receiveQueue : 2 * port + 2 }

    /// Host bytes waiting for port `port`'s receive buffers.
    public func pendingInput(port: Int = 0) -> Int { port < ports.count ? ports[port].pending.count : 0 }
    public var pendingInput: Int { pendingInput() }
    /// Whether the guest has port `port` open (its last PORT_OPEN said so).
    public func isGuestOpen(port: Int) -> Bool { port < ports.count && ports[port].guestOpen }

    public func activate(features: UInt64, queues: [SplitVirtqueue?], memory: any GuestMemory,
                         interrupt: VirtioInterrupt) throws(VirtioActivationError) {
        let multiport = offersMultiport && features & Self.multiportFeature != 0
        // Linux sets up every queue of every port it may be given, so all of them must be there.
        let needed = multiport ? queueMaxSizes.count : 2
        for index in 0..<needed where index >= queues.count || queues[index] == nil {
            throw .queueNotReady(index)
        }
        self.queues = queues
        self.memory = memory
        self.interrupt = interrupt
        isMultiport = multiport
        isBroken = false
        deliverInput(port: 0)
    }

    public func reset() {
        queues = []
        memory = nil
        interrupt = nil
        isBroken = false
        isMultiport = false
        controlPending = []
        for index in ports.indices {
            ports[index].ready = false
            ports[index].guestOpen = false
        }
    }

    public func notify(queue index: Int) {
        switch index {
        case Self.receiveQueue: deliverInput(port: 0)
        case Self.transmitQueue: drainOutput(port: 0)
        case Self.controlReceiveQueue where isMultiport: deliverControl()
        case Self.controlTransmitQueue where isMultiport: handleControl()
        case 4... where isMultiport && index / 2 - 1 < ports.count:
            if index % 2 == 0 { deliverInput(port: index / 2 - 1) } else { drainOutput(port: index / 2 - 1) }
        default: break
        }
    }

    /// Host input for port `port`. Returns how many bytes were accepted (the rest did not fit in its buffer; all
    /// of it for a port that does not exist).
    @discardableResult
    public func receive(_ bytes: [UInt8], port: Int = 0) -> Int {
        guard port < ports.count else {
            stats.droppedInput += UInt64(bytes.count)
            return 0
        }
        let accepted = min(bytes.count, max(0, inputLimit - ports[port].pending.count))
        ports[port].pending += bytes.prefix(accepted)
        stats.droppedInput += UInt64(bytes.count - accepted)
        deliverInput(port: port)
        return accepted
    }

    /// A host client attached to or left generic port `port` (not the console). The driver hears PORT_OPEN once the
    /// port is ready (or at PORT_READY). Input still waiting for the guest goes with the client that sent it, as
    /// unread bytes go with a closed socket.
    public func setHostConnected(_ connected: Bool, port: Int) {
        guard port > 0, port < ports.count, ports[port].hostConnected != connected else { return }
        ports[port].hostConnected = connected
        if !connected {
            stats.droppedInput += UInt64(ports[port].pending.count)
            ports[port].pending = []
        }
        guard isMultiport, ports[port].ready else { return }
        sendControl(VirtioConsoleControl(id: UInt32(port), event: .portOpen, value: connected ? 1 : 0))
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
