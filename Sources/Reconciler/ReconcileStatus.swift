import Foundation

/// A Flux-style condition: `Ready`, `Reconciling` or `Stalled`, true or false, with a machine-readable reason.
public struct Condition: Codable, Sendable, Equatable {
    public var type: String
    public var status: Bool
    public var reason: String
    public var message: String
    public var revision: String?
    public var since: Date

    public init(type: String, status: Bool, reason: String, message: String, revision: String?, since: Date) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.revision = revision
        self.since = since
    }
}

/// One pass of the loop, kept in the status file's short history.
public struct TickRecord: Codable, Sendable, Equatable {
    public var started: Date
    public var seconds: Double
    public var revision: String?
    /// `applied`, `unchanged`, `invalid`, `refused`, `failed`, `locked`, `suspended`, `fetch-failed`.
    public var result: String
    public var summary: String
}

/// What the reconciler knows of one VM beyond its live state: failures in a row and when it may start next.
public struct VMSupervision: Codable, Sendable, Equatable {
    public var failures = 0
    public var restarts = 0
    public var startFailures = 0
    /// The VM is held back (crash-loop back-off) until then.
    public var nextAttempt: Date?
    public var lastExit: String?
    /// Seen alive at the last poll, in the boot the status names: after a reboot these are started again.
    public var running = false
    public var startedAt: Double?

    public init() {}

    /// Failing again and again and waiting for the next try.
    public func inCrashLoop(at now: Date) -> Bool {
        failures >= 2 && (nextAttempt.map { $0 > now } ?? false)
    }
}

/// The state file a stack's reconciler keeps (`reconcile/status.json`): readable by `vmctl status`, scripts and
/// monitoring without asking the daemon.
public struct ReconcileStatus: Codable, Sendable, Equatable {
    public static let historyLength = 10

    public var stack: String
    public var source: String
    public var pid: Int32
    public var bootID: String?
    public var lastAttemptedRevision: String?
    public var lastAppliedRevision: String?
    public var lastAppliedAt: Date?
    public var conditions: [Condition] = []
    public var nextTick: Date?
    public var suspended = false
    public var history: [TickRecord] = []
    public var vms: [String: VMSupervision] = [:]
    /// After a reboot: the VMs that ran before it, until a pass has started them.
    public var recovering: [String]?
    public var updatedAt: Date

    public init(stack: String, source: String, pid: Int32, updatedAt: Date) {
        self.stack = stack
        self.source = source
        self.pid = pid
        self.updatedAt = updatedAt
    }

    public func condition(_ type: String) -> Condition? { conditions.first { $0.type == type } }

    /// Sets a condition; `since` moves only when its status or reason changes.
    public mutating func set(_ type: String, _ status: Bool, reason: String, message: String, revision: String?, now: Date) {
        let since = condition(type).flatMap { $0.status == status && $0.reason == reason ? $0.since : nil } ?? now
        conditions.removeAll { $0.type == type }
        conditions.append(Condition(type: type, status: status, reason: reason, message: message, revision: revision, since: since))
        conditions.sort { $0.type < $1.type }
    }

    public mutating func record(_ tick: TickRecord) {
        history.append(tick)
        if history.count > Self.historyLength { history.removeFirst(history.count - Self.historyLength) }
    }

    public static func read(_ path: String) -> ReconcileStatus? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONCoding.decoder.decode(ReconcileStatus.self, from: data)
    }
}

enum JSONCoding {
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
