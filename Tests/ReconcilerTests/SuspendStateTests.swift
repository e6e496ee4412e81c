import Foundation
import Reconciler
import Runtime
import Testing

@Suite struct SuspendStateTests {
    @Test func suspendReadResume() throws {
        let folder = try TemporaryFolder()
        let paths = ReconcilePaths(stateDirectory: StateDirectory(path: folder.path), stack: "demo")
        #expect(SuspendState.read(paths) == nil)
        let since = Date(timeIntervalSince1970: 1_700_000_000)
        try SuspendState.suspend(paths, by: "alice", now: since)
        #expect(FileManager.default.fileExists(atPath: paths.suspended))
        #expect(SuspendState.read(paths) == SuspendState(since: since, by: "alice"))
        #expect(try SuspendState.resume(paths) == true)
        #expect(SuspendState.read(paths) == nil)
        #expect(!FileManager.default.fileExists(atPath: paths.suspended))
    }

    @Test func resumeWhenNotSuspendedIsFalse() throws {
        let folder = try TemporaryFolder()
        let paths = ReconcilePaths(stateDirectory: StateDirectory(path: folder.path), stack: "demo")
        // Neither the file nor its folder exist.
        #expect(try SuspendState.resume(paths) == false)
        try SuspendState.suspend(paths, by: "bob")
        #expect(try SuspendState.resume(paths) == true)
        #expect(try SuspendState.resume(paths) == false)
    }

    @Test func damagedFileStillReadsAsSuspended() throws {
        let folder = try TemporaryFolder()
        let paths = ReconcilePaths(stateDirectory: StateDirectory(path: folder.path), stack: "demo")
        try FileManager.default.createDirectory(atPath: paths.root, withIntermediateDirectories: true)
        try Data("{\"since\": tru".utf8).write(to: URL(fileURLWithPath: paths.suspended))
        let state = try #require(SuspendState.read(paths))
        #expect(state.by == "unknown")
        // An empty file too.
        try Data().write(to: URL(fileURLWithPath: paths.suspended))
        #expect(SuspendState.read(paths) != nil)
    }
}
