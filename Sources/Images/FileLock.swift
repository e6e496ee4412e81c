import Foundation

/// An flock(2) on a lock file, released when the lock goes away (or the process dies).
// @unchecked Sendable: its only state is an fd that is never reassigned; flock(2) calls are thread-safe.
final class FileLock: @unchecked Sendable {
    let file: FileDescriptor

    private init(file: FileDescriptor) { self.file = file }

    deinit { flock(file.fd, LOCK_UN) }

    /// Waits for the lock.
    static func acquire(_ path: String, shared: Bool = false) throws -> FileLock {
        let file = try FileDescriptor.open(path, flags: O_RDWR | O_CREAT, mode: 0o644)
        while flock(file.fd, shared ? LOCK_SH : LOCK_EX) != 0 {
            guard errno == EINTR else { throw ImageError.io(operation: "lock", path: path, code: errno) }
        }
        return FileLock(file: file)
    }

    /// Takes the lock only if nobody holds it; nil when someone does.
    static func attempt(_ path: String) throws -> FileLock? {
        let file = try FileDescriptor.open(path, flags: O_RDWR | O_CREAT, mode: 0o644)
        while flock(file.fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EWOULDBLOCK { return nil }
            guard errno == EINTR else { throw ImageError.io(operation: "lock", path: path, code: errno) }
        }
        return FileLock(file: file)
    }
}

extension FileLock {
    /// Releases the lock before the owner goes away (idempotent).
    func release() { flock(file.fd, LOCK_UN) }
}
