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

    public init(ports: [String: PortCounters], learned: Int, pid: Int32) {
        self.ports = ports
        self.learned = learned
        self.pid = pid
    }
}

extension SwitchStats {
    /// The stats file's JSON (keys sorted), written by hand so the switch process links no Foundation: it starts
    /// faster and smaller, like vmctl-vmm (bench/README.md). The runtime reads it with JSONDecoder.
    public var json: [UInt8] {
        let entries = ports.keys.sorted().map { name -> String in
            let port = ports[name] ?? PortCounters()
            return Self.quoted(name) + ":{\"dropped\":\(port.dropped),\"rxBytes\":\(port.rxBytes),\"rxFrames\":\(port.rxFrames),"
                + "\"txBytes\":\(port.txBytes),\"txFrames\":\(port.txFrames)}"
        }
        return Array("{\"learned\":\(learned),\"pid\":\(pid),\"ports\":{\(entries.joined(separator: ","))}}".utf8)
    }

    /// A JSON string: quote, backslash and control characters escaped; everything else as UTF-8.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
