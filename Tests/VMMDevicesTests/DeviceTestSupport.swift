import Foundation
import Synchronization
import Testing
import VMMDevices

/// Counts interrupt edges.
final class EdgeCounter: InterruptLine {
    private let edges = Mutex(0)
    var count: Int { edges.withLock { $0 } }
    func trigger() { edges.withLock { $0 += 1 } }
}

/// Collects UART output.
final class ByteSink: SerialOutput {
    private let store = Mutex<[UInt8]>([])
    var bytes: [UInt8] { store.withLock { $0 } }
    func write(_ byte: UInt8) { store.withLock { $0.append(byte) } }
}

/// Records power requests.
final class PowerRecorder: PowerEvents {
    enum Event: Equatable { case reset(PowerEventSource), shutdown(PowerEventSource) }
    private let store = Mutex<[Event]>([])
    var events: [Event] { store.withLock { $0 } }
    func resetRequested(by source: PowerEventSource) { store.withLock { $0.append(.reset(source)) } }
    func shutdownRequested(by source: PowerEventSource) { store.withLock { $0.append(.shutdown(source)) } }
}

/// Golden files under Golden/: hex dumps, 16 bytes a line as "OFFSET: hh hh …", all-zero lines left out,
/// the first line "size N". Set VMCTL_UPDATE_GOLDEN=1 to rewrite them (then review the diff).
enum DeviceGolden {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static let updating = ProcessInfo.processInfo.environment["VMCTL_UPDATE_GOLDEN"] == "1"

    static func dump(_ bytes: [UInt8]) -> String {
        var lines = ["size \(bytes.count)"]
        for start in stride(from: 0, to: bytes.count, by: 16) {
            let row = bytes[start..<min(start + 16, bytes.count)]
            guard row.contains(where: { $0 != 0 }) else { continue }
            let offset = String(start, radix: 16, uppercase: true)
            lines.append(String(repeating: "0", count: max(0, 4 - offset.count)) + offset + ": "
                         + row.map { String(format: "%02X", $0) }.joined(separator: " "))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func parse(_ text: String) -> [UInt8]? {
        var lines = text.split(separator: "\n").map(String.init)
        guard let first = lines.first, first.hasPrefix("size "), let size = Int(first.dropFirst(5)) else { return nil }
        lines.removeFirst()
        var bytes = [UInt8](repeating: 0, count: size)
        for line in lines {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let offset = Int(parts[0], radix: 16) else { return nil }
            for (index, hex) in parts[1].split(separator: " ").enumerated() {
                guard let byte = UInt8(hex, radix: 16), offset + index < size else { return nil }
                bytes[offset + index] = byte
            }
        }
        return bytes
    }

    /// Compares `bytes` with Golden/<name>, naming the first differing offset.
    static func check(_ bytes: [UInt8], _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = folder.appendingPathComponent(name)
        if updating { try dump(bytes).write(to: url, atomically: true, encoding: .utf8) }
        let text = try String(contentsOf: url, encoding: .utf8)
        let expected = try #require(parse(text), "Golden/\(name) is not a valid hex dump", sourceLocation: sourceLocation)
        if expected != bytes {
            let first = zip(expected, bytes).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(expected.count, bytes.count)
            Issue.record("bytes differ from Golden/\(name) at offset 0x\(String(first, radix: 16)) (sizes \(bytes.count) vs \(expected.count))",
                         sourceLocation: sourceLocation)
        }
    }

    /// Reads a golden input (e.g. a fixture setup header) as bytes.
    static func load(_ name: String) throws -> [UInt8] {
        let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
        return try #require(parse(text), "Golden/\(name) is not a valid hex dump")
    }
}
