import KVM
import VMMDevices

/// The host side of one NIC: `send` takes the guest's frames (VirtioNet calls it under the device lock on the
/// notifier thread, so it never blocks), and the NIC's reader thread waits on `fd` and `wake` and calls
/// `readFrames` and `flushPendingOutput`. Thread-safe; owns its fds.
protocol NetBackend: NetFrameOutput, Sendable, CustomStringConvertible {
    /// The tap or socket descriptor (non-blocking).
    var fd: Int32 { get }
    /// Signalled when the reader must poll again with other events (output waiting) or stop.
    var wake: EventFD { get }
    /// Whether part of a frame still waits to be written: the reader then also waits for POLLOUT.
    var hasPendingOutput: Bool { get }
    func flushPendingOutput()
    /// Reads what is there without blocking, at most `limit` frames.
    func readFrames(limit: Int) -> NetRead
}

/// What one `readFrames` found.
struct NetRead: Sendable {
    var frames: [[UInt8]] = []
    /// The host side is gone (the switch closed the connection, the tap was deleted): stop polling it.
    var closed: String?
}
