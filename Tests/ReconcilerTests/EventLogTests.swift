import Foundation
import Reconciler
import Testing

@Suite struct EventLogTests {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    static func event(_ index: Int, message: String? = nil) -> ReconcileEvent {
        ReconcileEvent(time: t0 + Double(index), stack: "demo", type: index % 2 == 0 ? .normal : .warning, reason: "Reason\(index)",
                       message: message ?? "event \(index)", revision: "rev\(index)", vm: index % 3 == 0 ? "web" : nil)
    }

    /// Events whose lines all have the same length.
    static func uniform(_ index: Int) -> ReconcileEvent {
        ReconcileEvent(time: t0 + Double(index), stack: "demo", type: .normal, reason: "Tick", message: "event \(index)")
    }

    @Test func appendedEventsReadBackInOrder() throws {
        let folder = try TemporaryFolder()
        let log = EventLog(path: folder.file("events.jsonl"))
        #expect(log.read().isEmpty)
        let events = (0..<5).map { Self.event($0) }
        for event in events { try log.append(event) }
        #expect(log.read() == events)
        // One JSON object per line.
        let text = try String(contentsOfFile: log.path, encoding: .utf8)
        #expect(text.split(separator: "\n").count == 5)
        #expect(text.hasSuffix("\n"))
    }

    @Test func rotatesPastMaxBytesAndReadsBothFilesOldestFirst() throws {
        let folder = try TemporaryFolder()
        let probe = EventLog(path: folder.file("probe.jsonl"))
        try probe.append(Self.uniform(0))
        let lineLength = try Data(contentsOf: URL(fileURLWithPath: probe.path)).count
        // Room for three lines a file (the events' lines all have the same length).
        let log = EventLog(path: folder.file("events.jsonl"), maxBytes: lineLength * 3 + lineLength / 2)
        let events = (0..<8).map { Self.uniform($0) }
        for event in events { try log.append(event) }

        let rotated = log.path + ".1"
        #expect(FileManager.default.fileExists(atPath: rotated))
        #expect(!FileManager.default.fileExists(atPath: log.path + ".2"))
        for file in [log.path, rotated] {
            let size = try Data(contentsOf: URL(fileURLWithPath: file)).count
            #expect(size <= log.maxBytes, "\(file) has \(size) bytes")
        }
        // Events 0...2 went to the first file, 3...5 to the second (now .1), 6 and 7 to the current one; the first
        // file was dropped when the second rotated.
        #expect(log.read() == Array(events[3...]))
    }

    @Test func damagedLinesAreSkipped() throws {
        let folder = try TemporaryFolder()
        let log = EventLog(path: folder.file("events.jsonl"))
        try log.append(Self.event(0))
        let handle = try #require(FileHandle(forWritingAtPath: log.path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"time\": \"not a date\"}\nnot json at all\n\u{FF}\n".utf8))
        try handle.close()
        try log.append(Self.event(1))
        #expect(log.read() == [Self.event(0), Self.event(1)])
    }

    @Test func aTruncatedLastLineDoesNotSwallowTheNextEvent() throws {
        let folder = try TemporaryFolder()
        let log = EventLog(path: folder.file("events.jsonl"))
        try log.append(Self.event(0))
        // A write cut short (disk full): half a line, no newline.
        let handle = try #require(FileHandle(forWritingAtPath: log.path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("{\"time\":\"2023-11-14T22:13:20Z\",\"sta".utf8))
        try handle.close()
        try log.append(Self.event(1))
        #expect(log.read() == [Self.event(0), Self.event(1)])
    }

    @Test func concurrentAppendersNeverInterleaveLines() throws {
        let folder = try TemporaryFolder()
        // Room for all (no rotation here): the reconciler is the only writer of its stack's log, it never rotates
        // from two threads at once.
        let log = EventLog(path: folder.file("events.jsonl"), maxBytes: 64 << 20)
        let threads = 8, perThread = 50
        // Long messages, so that interleaved writes would show as lines that do not decode.
        let failures = Counter()
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            let filler = String(repeating: Character(Unicode.Scalar(UInt8(ascii: "a") + UInt8(thread))), count: 3000)
            for index in 0..<perThread {
                do { try log.append(Self.event(thread * 1000 + index, message: filler)) } catch { failures.add() }
            }
        }
        #expect(failures.value == 0)
        let data = try Data(contentsOf: URL(fileURLWithPath: log.path))
        // Every line is a whole event (read() would skip a mixed one, so count them apart).
        #expect(data.split(separator: 0x0A).count == threads * perThread)
        let events = log.read()
        #expect(events.count == threads * perThread)
        for thread in 0..<threads {
            let mine = events.filter { Int($0.reason.dropFirst("Reason".count))! / 1000 == thread }
            // Each thread's events are whole and in the order it wrote them.
            #expect(mine.map(\.reason) == (0..<perThread).map { "Reason\(thread * 1000 + $0)" })
            #expect(mine.allSatisfy { Set($0.message) == [$0.message.first!] && $0.message.count == 3000 })
        }
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
