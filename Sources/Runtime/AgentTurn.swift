import Foundation

/// The flock beside a VM's agent socket that makes vmctls take turns on the channel: the VMM's socket takes
/// one client and the agent serves one request at a time, so a second vmctl would sit unserved. The holder
/// writes what it is into the file. A request waits for another request (each ends within its timeout), but
/// not for an interactive session, which may last for hours: it fails at once, naming the session.
final class AgentTurn {
    enum Kind: String {
        case request
        case session
    }

    private var fd: Int32

    init(path: String, kind: Kind, vm: String, operation: String) throws {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }   // an unwritable folder: nobody else can take turns here either
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK else { if errno == EINTR { continue } else { break } }
            let holder = Self.holder(fd).split(separator: " ")
            if holder.count == 2, holder[0] == Kind.session.rawValue {
                // Not `release()`: its truncation would erase the session's note, and the next request would wait.
                close(fd)
                fd = -1
                throw RuntimeError.vm(name: vm, operation: operation, reason: "the guest agent is busy with an interactive session (vmctl exec -it, pid \(holder[1])) and serves one client at a time; try again when it ends")
            }
            usleep(100_000)
        }
        let note = Array("\(kind.rawValue) \(getpid())".utf8)
        _ = ftruncate(fd, 0)
        _ = note.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    /// Ends the turn; the note goes first, so a waiter never reads a finished holder's.
    func release() {
        guard fd >= 0 else { return }
        _ = ftruncate(fd, 0)
        close(fd)
        fd = -1
    }

    deinit { release() }

    private static func holder(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = pread(fd, &buffer, buffer.count, 0)
        return String(decoding: buffer[..<max(0, count)], as: UTF8.self)
    }
}
