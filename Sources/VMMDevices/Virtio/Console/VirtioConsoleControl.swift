/// One MULTIPORT control message (VIRTIO 1.x §5.3.6.2, struct virtio_console_control): le32 port id, le16 event,
/// le16 value, then (PORT_NAME only) the name's bytes. Control queues carry one message per chain.
public struct VirtioConsoleControl: Hashable, Sendable {
    /// Event numbers. Driver → device: deviceReady, portReady, portOpen. Device → driver: deviceAdd,
    /// consolePort, portOpen, portName (deviceRemove and resize are never sent: ports are fixed, no F_SIZE).
    public enum Event: UInt16, Sendable {
        case deviceReady = 0
        case deviceAdd = 1
        case deviceRemove = 2
        case portReady = 3
        case consolePort = 4
        case resize = 5
        case portOpen = 6
        case portName = 7
    }

    public static let headerSize = 8
    /// The id the driver puts in DEVICE_READY (it names no port).
    public static let noPort: UInt32 = 0xFFFF_FFFF

    public var id: UInt32
    public var event: UInt16
    public var value: UInt16
    public var payload: [UInt8]

    public init(id: UInt32, event: Event, value: UInt16, payload: [UInt8] = []) {
        self.init(id: id, rawEvent: event.rawValue, value: value, payload: payload)
    }

    public init(id: UInt32, rawEvent: UInt16, value: UInt16, payload: [UInt8] = []) {
        self.id = id
        self.event = rawEvent
        self.value = value
        self.payload = payload
    }

    /// The header from the first eight bytes of a driver's message; nil when there are fewer. Bytes after the
    /// header are ignored: no driver → device event carries any.
    public init?(header bytes: [UInt8]) {
        guard bytes.count >= Self.headerSize else { return nil }
        func le(_ range: Range<Int>) -> UInt32 { range.reversed().reduce(0) { $0 << 8 | UInt32(bytes[$1]) } }
        self.init(id: le(0..<4), rawEvent: UInt16(le(4..<6)), value: UInt16(le(6..<8)))
    }

    /// A PORT_NAME message: the name NUL-terminated, as QEMU sends it (Linux sizes the name from the used length).
    public static func portName(_ id: UInt32, _ name: String) -> VirtioConsoleControl {
        VirtioConsoleControl(id: id, event: .portName, value: 1, payload: Array(name.utf8) + [0])
    }

    public var bytes: [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: id >> (8 * $0)) } + (0..<2).map { UInt8(truncatingIfNeeded: event >> (8 * $0)) }
            + (0..<2).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } + payload
    }
}
