/// The virtio-mmio version 2 transport for one device: a 4 KiB window on the MMIO bus.
///
/// It follows the status ladder Linux uses (0 → ACKNOWLEDGE → DRIVER → FEATURES_OK → DRIVER_OK); a write that skips
/// or clears a step is refused and counted, FAILED may be added at any time, and 0 resets. Features are written
/// only in DRIVER, queues are configured only in FEATURES_OK before DRIVER_OK, and every queue is validated when
/// DRIVER_OK arrives: a bad one puts the device in NEEDS_RESET instead of activating it.
///
/// Not thread-safe: the VMM calls it (and its device) from one thread or under one lock.
public final class VirtioMMIOTransport: BusDevice {
    public let device: any VirtioDevice
    public let interrupt: VirtioInterrupt
    let memory: any GuestMemory

    /// The bits the driver has set (NEEDS_RESET is reported from `interrupt`).
    public internal(set) var driverStatus: VirtioStatus = []
    public internal(set) var driverFeatures: UInt64 = 0
    public internal(set) var isActivated = false
    /// Register writes refused because of the device state or width (for tests and stats).
    public internal(set) var refusedWrites = 0
    var deviceFeaturesSel: UInt32 = 0
    var driverFeaturesSel: UInt32 = 0
    var queueSel: UInt32 = 0
    var queues: [VirtqueueRegisters]

    public init(device: any VirtioDevice, memory: any GuestMemory, interruptLine: any InterruptLine) {
        self.device = device
        self.memory = memory
        interrupt = VirtioInterrupt(line: interruptLine)
        queues = device.queueMaxSizes.map { VirtqueueRegisters(maxSize: $0) }
    }

    /// The window size to register on the bus.
    public static let windowSize = VirtioMMIORegister.windowSize

    /// The Status register as the driver reads it.
    public var status: VirtioStatus {
        interrupt.deviceNeedsReset ? driverStatus.union(.needsReset) : driverStatus
    }

    /// Device features as offered: the device's own plus VERSION_1.
    public var offeredFeatures: UInt64 { device.deviceFeatures | VirtioFeature.version1 }

    public func read(offset: UInt64, data: inout [UInt8]) {
        for index in data.indices { data[index] = 0 }
        if offset >= VirtioMMIORegister.config {
            readConfig(offset: offset - VirtioMMIORegister.config, data: &data)
            return
        }
        guard data.count == 4, offset % 4 == 0 else { return }
        let value = readRegister(offset)
        for index in 0..<4 { data[index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
    }

    public func write(offset: UInt64, data: [UInt8]) {
        if offset >= VirtioMMIORegister.config {
            writeConfig(offset: offset - VirtioMMIORegister.config, data: data)
            return
        }
        guard data.count == 4, offset % 4 == 0 else {
            refusedWrites += 1
            return
        }
        let value = data.reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        writeRegister(offset, value)
    }

    private func readConfig(offset: UInt64, data: inout [UInt8]) {
        let config = device.configBytes
        for index in data.indices {
            let (position, overflow) = offset.addingReportingOverflow(UInt64(index))
            if !overflow, position < UInt64(config.count) { data[index] = config[Int(position)] }
        }
    }

    private func writeConfig(offset: UInt64, data: [UInt8]) {
        guard driverStatus.contains(.driver), !driverStatus.contains(.failed),
              offset < UInt64(device.configBytes.count) else {
            refusedWrites += 1
            return
        }
        device.writeConfig(offset: Int(offset), data: data)
    }

    /// Status 0: the device forgets everything the driver set up.
    func reset() {
        device.reset()
        isActivated = false
        driverStatus = []
        driverFeatures = 0
        deviceFeaturesSel = 0
        driverFeaturesSel = 0
        queueSel = 0
        queues = device.queueMaxSizes.map { VirtqueueRegisters(maxSize: $0) }
        interrupt.reset()
    }

    func refuse() {
        refusedWrites += 1
    }
}
