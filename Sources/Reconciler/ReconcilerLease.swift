import Foundation
import Runtime

/// Who owns a stack's reconciliation: an flock on `owner.lock` held for the reconciler's whole life (the kernel drops
/// it when the process dies), so two reconcilers never manage one stack. Applying changes still takes the stack lock,
/// tick by tick, so a manual apply and a tick never run at once.
public final class ReconcilerLease: @unchecked Sendable {
    public struct Owner: Codable, Sendable, Equatable {
        public var pid: Int32
        public var source: String
        public var since: Date
    }

    private let fd: Int32

    public init(_ paths: ReconcilePaths, stack: String, source: String) throws {
        try AtomicFile.makeDirectory(paths.root)
        let fd = open(paths.ownerLock, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw RuntimeError.io(operation: "open \(paths.ownerLock)", code: errno) }
        // `holder` (vmctl status) holds a shared lock for an instant: try for a second before calling it taken.
        var tries = 0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 && tries < 20 {
            tries += 1
            usleep(50_000)
        }
        guard tries < 20 else {
            close(fd)
            let who = Self.owner(paths).map { "pid \($0.pid), source \($0.source), since \(Self.format($0.since))" } ?? "another process"
            throw ReconcileError.alreadyReconciled(stack: stack, by: who)
        }
        self.fd = fd
        let owner = Owner(pid: getpid(), source: source, since: Date())
        try? AtomicFile.write(try JSONCoding.encoder.encode(owner), to: paths.owner)
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }

    /// The running reconciler of the stack, or nil when none holds the lease.
    public static func holder(_ paths: ReconcilePaths) -> Owner? {
        let fd = open(paths.ownerLock, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return nil
        }
        return owner(paths) ?? Owner(pid: 0, source: "unknown", since: .distantPast)
    }

    private static func owner(_ paths: ReconcilePaths) -> Owner? {
        guard let data = FileManager.default.contents(atPath: paths.owner) else { return nil }
        return try? JSONCoding.decoder.decode(Owner.self, from: data)
    }

    static func format(_ date: Date) -> String { date.iso8601 }
}

public enum ReconcileError: Error, CustomStringConvertible {
    case alreadyReconciled(stack: String, by: String)
    case source(String)
    case stackRenamed(from: String, to: String, revision: String)

    public var description: String {
        switch self {
        case .alreadyReconciled(let stack, let by):
            return "stack '\(stack)' is already reconciled by another vmctl reconcile (\(by)); one reconciler per stack"
        case .source(let message):
            return message
        case .stackRenamed(let from, let to, let revision):
            return "revision \(revision) names the stack '\(to)', but this reconciler manages '\(from)'; start a reconciler for '\(to)' instead"
        }
    }
}
