/// Device status bits (VIRTIO 1.x §2.1), as the driver writes them to the Status register.
public struct VirtioStatus: OptionSet, Hashable, Sendable {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let acknowledge = VirtioStatus(rawValue: 0x01)
    public static let driver = VirtioStatus(rawValue: 0x02)
    public static let driverOK = VirtioStatus(rawValue: 0x04)
    public static let featuresOK = VirtioStatus(rawValue: 0x08)
    /// Set by the device only: it hit an error it cannot recover from until the driver resets it.
    public static let needsReset = VirtioStatus(rawValue: 0x40)
    public static let failed = VirtioStatus(rawValue: 0x80)
}

/// Feature bits shared by every device type (device-specific bits live with each device).
public enum VirtioFeature {
    public static let indirectDescriptors: UInt64 = 1 << 28
    public static let eventIndex: UInt64 = 1 << 29
    /// Mandatory for virtio-mmio version 2: Linux refuses a device that does not offer it.
    public static let version1: UInt64 = 1 << 32
}

/// Virtio device ids as the DeviceID register reports them.
public enum VirtioDeviceID {
    public static let network: UInt32 = 1
    public static let block: UInt32 = 2
    public static let console: UInt32 = 3
}
