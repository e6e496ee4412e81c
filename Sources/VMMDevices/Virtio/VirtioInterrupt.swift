/// The state a virtio device shares with its transport: the InterruptStatus bits, the NEEDS_RESET flag and the
/// config generation. The device raises; the transport reports and the driver acknowledges.
public final class VirtioInterrupt {
    public static let usedBufferBit: UInt32 = 1
    public static let configChangeBit: UInt32 = 2

    public let line: any InterruptLine
    /// InterruptStatus as the driver reads it.
    public private(set) var status: UInt32 = 0
    /// The device hit an error it will not recover from until the driver resets it.
    public private(set) var deviceNeedsReset = false
    /// The device's last error that led to NEEDS_RESET, for logs and stats.
    public private(set) var resetReason: String?
    public private(set) var configGeneration: UInt32 = 0

    public init(line: any InterruptLine) {
        self.line = line
    }

    /// The device put buffers in a used ring and the driver wants to hear about it.
    public func usedBuffer() {
        raise(Self.usedBufferBit)
    }

    /// The device changed its configuration space.
    public func configChanged() {
        configGeneration &+= 1
        raise(Self.configChangeBit)
    }

    /// Sets NEEDS_RESET and tells the driver through a config-change interrupt (VIRTIO 1.x §2.1.2). Raised once.
    public func needsReset(_ reason: String) {
        guard !deviceNeedsReset else { return }
        deviceNeedsReset = true
        resetReason = reason
        raise(Self.configChangeBit)
    }

    func acknowledge(_ bits: UInt32) {
        status &= ~bits
    }

    func reset() {
        status = 0
        deviceNeedsReset = false
        resetReason = nil
    }

    private func raise(_ bit: UInt32) {
        // Status first, then the edge: the guest's handler reads InterruptStatus.
        status |= bit
        line.trigger()
    }
}
