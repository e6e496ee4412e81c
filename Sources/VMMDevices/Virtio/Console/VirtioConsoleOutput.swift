/// Where a virtio console's guest output goes (a log file, the control socket, a test buffer).
public protocol VirtioConsoleOutput: AnyObject {
    func write(_ bytes: [UInt8])
}

/// Collects output in memory: for tests.
public final class VirtioConsoleBuffer: VirtioConsoleOutput {
    public private(set) var bytes: [UInt8] = []
    public init() {}
    public func write(_ bytes: [UInt8]) { self.bytes += bytes }
}
