/// virtio-mmio version 2 register offsets (VIRTIO 1.x §4.2.2). All below `config` are 32 bits wide.
enum VirtioMMIORegister {
    static let magic: UInt64 = 0x000
    static let version: UInt64 = 0x004
    static let deviceID: UInt64 = 0x008
    static let vendorID: UInt64 = 0x00C
    static let deviceFeatures: UInt64 = 0x010
    static let deviceFeaturesSel: UInt64 = 0x014
    static let driverFeatures: UInt64 = 0x020
    static let driverFeaturesSel: UInt64 = 0x024
    static let queueSel: UInt64 = 0x030
    static let queueNumMax: UInt64 = 0x034
    static let queueNum: UInt64 = 0x038
    static let queueReady: UInt64 = 0x044
    static let queueNotify: UInt64 = 0x050
    static let interruptStatus: UInt64 = 0x060
    static let interruptACK: UInt64 = 0x064
    static let status: UInt64 = 0x070
    static let queueDescLow: UInt64 = 0x080
    static let queueDescHigh: UInt64 = 0x084
    static let queueDriverLow: UInt64 = 0x090
    static let queueDriverHigh: UInt64 = 0x094
    static let queueDeviceLow: UInt64 = 0x0A0
    static let queueDeviceHigh: UInt64 = 0x0A4
    static let configGeneration: UInt64 = 0x0FC
    static let config: UInt64 = 0x100

    static let magicValue: UInt32 = 0x7472_6976  // "virt"
    static let versionValue: UInt32 = 2
    /// The size of one device's MMIO window.
    static let windowSize: UInt64 = 0x1000
}

/// What the driver wrote for one queue before it is validated at DRIVER_OK.
struct VirtqueueRegisters {
    let maxSize: UInt16
    var size: UInt16
    var ready = false
    var descriptorTable: UInt64 = 0
    var availRing: UInt64 = 0
    var usedRing: UInt64 = 0

    init(maxSize: UInt16) {
        self.maxSize = maxSize
        size = maxSize
    }

    var layout: VirtqueueLayout {
        VirtqueueLayout(size: size, descriptorTable: GuestAddress(descriptorTable),
                        availRing: GuestAddress(availRing), usedRing: GuestAddress(usedRing))
    }

    static func setLow(_ value: inout UInt64, _ low: UInt32) { value = value & 0xFFFF_FFFF_0000_0000 | UInt64(low) }
    static func setHigh(_ value: inout UInt64, _ high: UInt32) { value = value & 0xFFFF_FFFF | UInt64(high) << 32 }
}
