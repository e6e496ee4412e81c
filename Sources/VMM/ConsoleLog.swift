import Glibc
import VMMDevices

/// The VM's console log: the serial port's (and virtio-console's) output, appended to the spec's file with
/// one write(2) per chunk and no buffering in between (vmm-facts §9.12), so `vmctl logs` sees every byte
/// as soon as the guest wrote it. Owns the descriptor and closes it in deinit.
public final class ConsoleLog: SerialOutput, VirtioConsoleOutput, Sendable {
    public let path: String
    private let fd: Int32

    public init(path: String) throws(VMMError) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw .file(what: "console log", path: path, errno: errno) }
        self.path = path
        self.fd = fd
    }

    /// The log as an append-only descriptor vmctl-launch opened; `path` only names it.
    public init(descriptor: Int32, path: String) throws(VMMError) {
        let flags = fcntl(descriptor, F_GETFL)
        guard flags >= 0 else { throw .file(what: "console log", path: "\(path) (descriptor \(descriptor))", errno: errno) }
        guard flags & O_APPEND != 0, flags & O_ACCMODE != O_RDONLY else {
            throw .file(what: "console log", path: "\(path) (descriptor \(descriptor): not opened for appending)", errno: EBADF)
        }
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        self.path = path
        self.fd = descriptor
    }

    deinit { close(fd) }

    public func write(_ byte: UInt8) {
        var value = byte
        while Glibc.write(fd, &value, 1) < 0 && errno == EINTR {}
    }

    public func write(_ bytes: [UInt8]) {
        var done = 0
        while done < bytes.count {
            let count = bytes[done...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return  // a full disk loses console output, never the VM
            }
            done += count
        }
    }
}
