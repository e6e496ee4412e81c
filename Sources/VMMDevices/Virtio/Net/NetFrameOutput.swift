/// Where virtio-net sends the guest's frames (a tap, a switch socket, a test buffer). `send` is called with the
/// device's lock held on the thread that handles the transmit kick, so it must never block: a backend that
/// cannot take the frame at once says so and the device drops and counts it.
public protocol NetFrameOutput: AnyObject {
    /// One Ethernet frame, without the virtio-net header.
    func send(_ frame: [UInt8]) -> NetSendResult
}

public enum NetSendResult: Hashable, Sendable {
    case sent
    /// The backend's queue is full right now; a later frame may go through.
    case busy
    /// The backend is gone or failed the write.
    case down
}

/// Collects frames in memory: for tests. `next` decides what each send answers.
public final class NetFrameBuffer: NetFrameOutput {
    public private(set) var frames: [[UInt8]] = []
    public var next: NetSendResult = .sent

    public init() {}

    public func send(_ frame: [UInt8]) -> NetSendResult {
        if next == .sent { frames.append(frame) }
        return next
    }
}
