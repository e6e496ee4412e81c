/// Per-port traffic counters, written to the switch's stats file.
public struct PortCounters: Codable, Sendable, Equatable {
    public var rxFrames: UInt64 = 0
    public var rxBytes: UInt64 = 0
    public var txFrames: UInt64 = 0
    public var txBytes: UInt64 = 0
    /// Frames dropped because the receiving VM did not keep up.
    public var dropped: UInt64 = 0

    public init() {}
}

public struct SwitchStats: Codable, Sendable {
    public var ports: [String: PortCounters]
    public var learned: Int
    public var pid: Int32
}
