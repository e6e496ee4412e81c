import Foundation
import Reconciler
import Runtime
import Testing

@Suite struct ReconcilerLeaseTests {
    @Test func secondLeaseOnTheSameStackIsRefusedNamingTheFirst() throws {
        let folder = try TemporaryFolder()
        let paths = ReconcilePaths(stateDirectory: StateDirectory(path: folder.path), stack: "demo")
        let first = try ReconcilerLease(paths, stack: "demo", source: "git https://example.com/ops.git (main)")
        // flock belongs to an open file description: a second open in this process conflicts as another process would.
        do {
            _ = try ReconcilerLease(paths, stack: "demo", source: "/srv/other")
            Issue.record("a second lease was granted")
        } catch ReconcileError.alreadyReconciled(let stack, let by) {
            #expect(stack == "demo")
            #expect(by.contains("pid \(getpid())"))
            #expect(by.contains("source git https://example.com/ops.git (main)"))
        }
        withExtendedLifetime(first) {}
    }

    @Test func holderIsNilWhenFreeTheOwnerWhenHeldAndNilAfterRelease() throws {
        let folder = try TemporaryFolder()
        let paths = ReconcilePaths(stateDirectory: StateDirectory(path: folder.path), stack: "demo")
        #expect(ReconcilerLease.holder(paths) == nil)
        var lease: ReconcilerLease? = try ReconcilerLease(paths, stack: "demo", source: "/srv/demo")
        let holder = try #require(ReconcilerLease.holder(paths))
        #expect(holder.pid == getpid())
        #expect(holder.source == "/srv/demo")
        #expect(abs(holder.since.timeIntervalSinceNow) < 60)
        // Asking does not take the lease away.
        #expect(ReconcilerLease.holder(paths) != nil)
        withExtendedLifetime(lease) {}
        lease = nil
        #expect(ReconcilerLease.holder(paths) == nil)
        // The owner file outlives the lease, but the lease is free again.
        let second = try ReconcilerLease(paths, stack: "demo", source: "/srv/second")
        #expect(ReconcilerLease.holder(paths)?.source == "/srv/second")
        withExtendedLifetime(second) {}
    }

    @Test func otherStacksAreIndependent() throws {
        let folder = try TemporaryFolder()
        let state = StateDirectory(path: folder.path)
        let demo = try ReconcilerLease(ReconcilePaths(stateDirectory: state, stack: "demo"), stack: "demo", source: "a")
        let other = try ReconcilerLease(ReconcilePaths(stateDirectory: state, stack: "other"), stack: "other", source: "b")
        #expect(ReconcilerLease.holder(ReconcilePaths(stateDirectory: state, stack: "other"))?.source == "b")
        withExtendedLifetime((demo, other)) {}
    }

    @Test func aLockHeldByAnotherProcessIsSeen() throws {
        let folder = try TemporaryFolder()
        let paths = ReconcilePaths(stateDirectory: StateDirectory(path: folder.path), stack: "demo")
        try FileManager.default.createDirectory(atPath: paths.root, withIntermediateDirectories: true)
        // A shell locks the file with util-linux flock, then becomes `sleep` holding it (one process to end); no
        // owner.json: an unknown holder.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sh")
        child.arguments = ["-c", "exec 9>>\"$1\" && flock --exclusive 9 && exec sleep 30", "sh", paths.ownerLock]
        try child.run()
        defer {
            child.terminate()
            child.waitUntilExit()
        }
        let deadline = Date() + 10
        while ReconcilerLease.holder(paths) == nil, Date() < deadline { usleep(10_000) }
        #expect(ReconcilerLease.holder(paths)?.pid == 0)
        #expect(throws: ReconcileError.self) { try ReconcilerLease(paths, stack: "demo", source: "here") }
        do {
            _ = try ReconcilerLease(paths, stack: "demo", source: "here")
        } catch {
            #expect("\(error)".contains("another process"))
        }
    }
}
