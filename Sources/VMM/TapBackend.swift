import CKVM
import Glibc
import KVM
import VMMDevices

/// A NIC on an existing tap interface (bridge and nat networks: the runtime creates it persistent and attaches
/// it to the bridge; the VMM only opens it). Raw frames: no packet-info prefix, no virtio-net header, so every
/// read(2) is one frame and every write(2) sends one. Owns the fd.
final class TapBackend: NetBackend {
    let name: String
    let fd: Int32
    let wake: EventFD
    /// Large enough for any frame a tap hands out (its MTU may exceed ours: VirtioNet drops and counts those).
    static let readSize = 65_536

    init(name: String, nic: String) throws(VMMError) {
        let result = ckvm_tap_open(name)
        guard result >= 0 else {
            let code = -result
            let hint = code == ENODEV ? " (no such interface; the runtime creates it before the VM starts)"
                : code == EBUSY ? " (another process has it open)" : ""
            throw .device("\(nic): open tap \(name) (TUNSETIFF IFF_TAP|IFF_NO_PI): \(VMMError.message(code))\(hint)")
        }
        fd = result
        self.name = name
        do { wake = try EventFD() } catch {
            close(result)
            throw error.during("\(nic): create the reader's wake eventfd")
        }
    }

    /// A tap vmctl-launch attached as root (the VMM's uid may not): checked to be `name`, raw, then made non-blocking.
    init(descriptor: Int32, name: String, nic: String) throws(VMMError) {
        let result = ckvm_tap_adopt(descriptor, name)
        guard result >= 0 else {
            throw .device("\(nic): tap \(name) as descriptor \(descriptor) (TUNGETIFF: a raw tap of that name): \(VMMError.message(-result))")
        }
        fd = descriptor
        self.name = name
        do { wake = try EventFD() } catch {
            close(descriptor)
            throw error.during("\(nic): create the reader's wake eventfd")
        }
    }

    deinit { close(fd) }

    var description: String { "tap \(name)" }
    var hasPendingOutput: Bool { false }
    func flushPendingOutput() {}

    func send(_ frame: [UInt8]) -> NetSendResult {
        while true {
            let written = frame.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written == frame.count { return .sent }
            if written >= 0 { return .down }  // a tap takes a frame whole or not at all
            switch errno {
            case EINTR: continue
            case EAGAIN: return .busy
            default: return .down  // EIO and the like: this frame is lost, the next may go
            }
        }
    }

    func readFrames(limit: Int) -> NetRead {
        var result = NetRead()
        var buffer = [UInt8](repeating: 0, count: Self.readSize)
        while result.frames.count < limit {
            let count = Glibc.read(fd, &buffer, buffer.count)
            if count > 0 {
                result.frames.append(Array(buffer[..<count]))
                continue
            }
            if count < 0 && errno == EINTR { continue }
            if count < 0 && errno == EAGAIN { break }
            result.closed = count == 0 ? "end of file" : VMMError.message(errno)
            break
        }
        return result
    }
}
