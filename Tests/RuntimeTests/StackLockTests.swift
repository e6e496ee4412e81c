import Foundation
import Testing
@testable import Runtime

/// flock locks belong to an open file description, so two StackLocks in one process contend like two vmctls.
@Suite("StackLock")
struct StackLockTests {
    let paths: StackPaths
    let folder: String

    init() throws {
        folder = try GuestTestSupport.temporaryFolder("lock")
        paths = StackPaths(stateDirectory: StateDirectory(path: folder), stack: "s")
    }

    func lock(_ command: String = "vmctl apply", timeout: Duration = .zero) throws -> StackLock {
        try StackLock(paths: paths, stack: "s", command: command, timeout: timeout)
    }

    @Test("a held lock fails a second taker at once, naming the holder's pid, command and start time")
    func heldLockNamesHolder() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let held = try lock("vmctl apply")
        let started = ContinuousClock.now
        do {
            _ = try lock("vmctl destroy")
            Issue.record("the second lock was granted while the first is held")
        } catch let error as RuntimeError {
            let text = error.description
            #expect(text.hasPrefix("stack 's' is locked by another vmctl: pid \(getpid()), 'vmctl apply', since 20"), "\(text)")
            #expect(text.hasSuffix("(use --lock-timeout to wait)"), "\(text)")
        }
        #expect(ContinuousClock.now - started < .seconds(1))
        withExtendedLifetime(held) {}
    }

    @Test("the lock is released when its holder goes away")
    func releasedOnDeinit() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        do { _ = try lock() }
        let again = try lock("vmctl stop one")
        #expect(try String(contentsOfFile: paths.lockHolder, encoding: .utf8).contains("'vmctl stop one'"))
        withExtendedLifetime(again) {}
    }

    @Test("with a timeout, the second taker waits for the first to let go")
    func waitsUpToTimeout() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let held = LockBox(try lock())
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(300)) { held.value = nil }
        let started = ContinuousClock.now
        let second = try lock(timeout: .seconds(10))
        #expect(ContinuousClock.now - started >= .milliseconds(250))
        withExtendedLifetime(second) {}
    }

    @Test("a lock file removed by its holder (destroy) is not left locked by a waiter that opened it before")
    func removedLockFile() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var holder: StackLock? = try lock("vmctl destroy")
        let acquired = DispatchSemaphore(value: 0)
        let second = LockBox(nil)
        let paths = paths
        DispatchQueue.global().async {
            second.value = try? StackLock(paths: paths, stack: "s", command: "vmctl apply", timeout: .seconds(10))
            acquired.signal()
        }
        Thread.sleep(forTimeInterval: 0.2)   // the waiter has the old file open and polls its lock
        unlink(paths.lock)
        holder = nil
        #expect(holder == nil)
        #expect(acquired.wait(timeout: .now() + 10) == .success)
        #expect(second.value != nil)
        // The waiter holds the lock on the file now at the path: a third vmctl must see it held.
        #expect(throws: RuntimeError.self) { _ = try lock("vmctl stop") }
        #expect(FileManager.default.fileExists(atPath: paths.lock))
    }
}

/// A lock handed between threads in these tests.
private final class LockBox: @unchecked Sendable {
    private let guardLock = NSLock()
    private var stored: StackLock?
    init(_ value: StackLock?) { stored = value }
    var value: StackLock? {
        get { guardLock.withLock { stored } }
        set { guardLock.withLock { stored = newValue } }
    }
}
