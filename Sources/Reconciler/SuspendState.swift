import Foundation
import Runtime

/// `vmctl reconcile suspend`: the reconciler leaves the stack alone (no applies, no restarts) until `resume`.
/// A file, so it survives restarts of the reconciler and of the host, and works while no reconciler runs.
public struct SuspendState: Codable, Sendable, Equatable {
    public var since: Date
    public var by: String

    public init(since: Date, by: String) {
        self.since = since
        self.by = by
    }

    public static func read(_ paths: ReconcilePaths) -> SuspendState? {
        guard let data = FileManager.default.contents(atPath: paths.suspended) else { return nil }
        // A damaged file still means suspended: resuming by accident is the worse mistake.
        return (try? JSONCoding.decoder.decode(SuspendState.self, from: data)) ?? SuspendState(since: .distantPast, by: "unknown")
    }

    public static func suspend(_ paths: ReconcilePaths, by: String, now: Date = Date()) throws {
        try AtomicFile.makeDirectory(paths.root)
        try AtomicFile.write(try JSONCoding.encoder.encode(SuspendState(since: now, by: by)), to: paths.suspended)
    }

    /// True when it was suspended.
    @discardableResult
    public static func resume(_ paths: ReconcilePaths) throws -> Bool {
        if unlink(paths.suspended) == 0 { return true }
        if errno == ENOENT { return false }
        throw RuntimeError.io(operation: "remove \(paths.suspended)", code: errno)
    }
}
