import Foundation
import Runtime

/// Something that happened to a stack, as one line of `reconcile/events.jsonl` (`vmctl events` prints them).
public struct ReconcileEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case normal = "Normal", warning = "Warning" }

    public var time: Date
    public var stack: String
    public var type: Kind
    public var reason: String
    public var message: String
    public var revision: String?
    public var vm: String?

    public init(time: Date, stack: String, type: Kind, reason: String, message: String, revision: String? = nil, vm: String? = nil) {
        self.time = time
        self.stack = stack
        self.type = type
        self.reason = reason
        self.message = message
        self.revision = revision
        self.vm = vm
    }
}

/// Appends events as JSON lines. When the file passes `maxBytes` it becomes `events.jsonl.1` (the one before is
/// dropped), so a crash-looping VM cannot fill the disk. Lines are written with one `write` on an O_APPEND file:
/// a reader never sees half a line from a finished write.
public struct EventLog: Sendable {
    public let path: String
    public let maxBytes: Int

    public init(path: String, maxBytes: Int = 1 << 20) {
        self.path = path
        self.maxBytes = maxBytes
    }

    public func append(_ event: ReconcileEvent) throws {
        var line = try JSONCoding.encoder.encode(event)
        line.append(0x0A)
        var info = stat()
        if stat(path, &info) == 0, Int(info.st_size) + line.count > maxBytes {
            _ = rename(path, path + ".1")
        }
        let fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw RuntimeError.io(operation: "open \(path)", code: errno) }
        defer { close(fd) }
        // After a write cut short (a full disk) the file ends in half a line: start a new one, or this event is lost too.
        var last: UInt8 = 0x0A
        if fstat(fd, &info) == 0, info.st_size > 0, pread(fd, &last, 1, info.st_size - 1) == 1, last != 0x0A { line.insert(0x0A, at: 0) }
        let written = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == line.count else { throw RuntimeError.io(operation: "write \(path)", code: errno) }
    }

    /// The events in both files, oldest first; lines that do not decode are skipped.
    public func read() -> [ReconcileEvent] {
        [path + ".1", path].flatMap { file -> [ReconcileEvent] in
            guard let data = FileManager.default.contents(atPath: file) else { return [] }
            return data.split(separator: 0x0A).compactMap { try? JSONCoding.decoder.decode(ReconcileEvent.self, from: Data($0)) }
        }
    }
}
