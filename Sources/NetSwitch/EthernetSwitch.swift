/// The forwarding logic of a learning L2 switch, without any I/O: frames in, (port, frame) decisions out.
/// Unicast to a learned MAC goes to its port; broadcast, multicast and unknown destinations flood to every
/// other port. A frame never goes back out of the port it came in on.
public struct EthernetSwitch: Sendable {
    public typealias Port = Int
    public typealias MAC = UInt64   // the 48-bit address in the low bits

    /// Learned addresses expire so a VM that moved (restart, replace) is found again.
    public static let maxAge: UInt64 = 300

    private var table: [MAC: (port: Port, seen: UInt64)] = [:]
    public private(set) var ports: Set<Port> = []
    public static let maxTableSize = 4096

    public init() {}

    public mutating func connect(_ port: Port) { ports.insert(port) }

    public mutating func disconnect(_ port: Port) {
        ports.remove(port)
        table = table.filter { $0.value.port != port }
    }

    /// Where `frame` arriving on `port` at time `now` (seconds) must go. Runt frames go nowhere.
    public mutating func forward(_ frame: [UInt8], from port: Port, now: UInt64) -> [Port] {
        guard frame.count >= 14 else { return [] }
        let destination = Self.mac(frame, at: 0)
        let source = Self.mac(frame, at: 6)
        if !Self.isGroup(source) {
            if table[source] != nil || table.count < Self.maxTableSize { table[source] = (port, now) }
        }
        if !Self.isGroup(destination), let entry = table[destination], now &- entry.seen <= Self.maxAge, ports.contains(entry.port) {
            return entry.port == port ? [] : [entry.port]
        }
        return ports.filter { $0 != port }.sorted()
    }

    public func learnedPort(of mac: MAC) -> Port? { table[mac]?.port }

    /// How many addresses the switch has learned (expired ones included until they are seen again or their port goes).
    public var learnedCount: Int { table.count }

    static func mac(_ frame: [UInt8], at offset: Int) -> MAC {
        (0..<6).reduce(MAC(0)) { $0 << 8 | MAC(frame[offset + $1]) }
    }

    /// The I/G bit: multicast and broadcast addresses.
    static func isGroup(_ mac: MAC) -> Bool { (mac >> 40) & 1 == 1 }
}
