import Foundation

/// An exclusive per-stack lock (flock) held for the life of a command that changes things. The kernel drops
/// it when the process dies, so a killed vmctl never leaves the stack locked.
public final class StackLock {
    private let fd: Int32

    /// Waits up to `timeout` (zero: fail at once), then fails naming the holder (pid, command, since when).
    public init(paths: StackPaths, stack: String, command: String, timeout: Duration) throws {
        let deadline = ContinuousClock.now + timeout
        var locked: Int32 = -1
        while locked < 0 {
            try AtomicFile.makeDirectory(paths.root)
            let fd = open(paths.lock, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw RuntimeError.io(operation: "open \(paths.lock)", code: errno) }
            while flock(fd, LOCK_EX | LOCK_NB) != 0 {
                guard errno == EWOULDBLOCK || errno == EINTR else {
                    let code = errno
                    close(fd)
                    throw RuntimeError.io(operation: "lock \(paths.lock)", code: code)
                }
                if ContinuousClock.now >= deadline {
                    close(fd)
                    let holder = (try? String(contentsOfFile: paths.lockHolder, encoding: .utf8))?
                        .trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown holder"
                    throw RuntimeError.locked(stack: stack, holder: holder + " (use --lock-timeout to wait)")
                }
                Thread.sleep(forTimeInterval: 0.05)
            }
            // `destroy` removes the lock file while holding it: a lock on a file no longer at the path locks
            // nothing another vmctl would see, so take the lock again on the file there now.
            if Self.isCurrent(fd, path: paths.lock) { locked = fd } else { close(fd) }
        }
        fd = locked
        let since = Date().formatted(.iso8601)  // not ISO8601DateFormatter: it loads ICU into a long-running reconciler
        let holder = "pid \(getpid()), '\(command)', since \(since)\n"
        try? AtomicFile.write(Data(holder.utf8), to: paths.lockHolder)
    }

    private static func isCurrent(_ fd: Int32, path: String) -> Bool {
        var open = stat(), named = stat()
        guard fstat(fd, &open) == 0, stat(path, &named) == 0 else { return false }
        return open.st_dev == named.st_dev && open.st_ino == named.st_ino
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
