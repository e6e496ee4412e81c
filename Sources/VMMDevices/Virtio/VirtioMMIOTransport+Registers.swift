extension VirtioMMIOTransport {
    func readRegister(_ offset: UInt64) -> UInt32 {
        typealias R = VirtioMMIORegister
        switch offset {
        case R.magic: return R.magicValue
        case R.version: return R.versionValue
        case R.deviceID: return device.deviceID
        case R.vendorID: return 0
        case R.deviceFeatures:
            switch deviceFeaturesSel {
            case 0: return UInt32(truncatingIfNeeded: offeredFeatures)
            case 1: return UInt32(truncatingIfNeeded: offeredFeatures >> 32)
            default: return 0
            }
        case R.queueNumMax: return selectedQueue.map { UInt32($0.maxSize) } ?? 0
        case R.queueReady: return selectedQueue.map { $0.ready ? 1 : 0 } ?? 0
        case R.interruptStatus: return interrupt.status
        case R.status: return status.rawValue
        case R.configGeneration: return interrupt.configGeneration
        default: return 0
        }
    }

    func writeRegister(_ offset: UInt64, _ value: UInt32) {
        typealias R = VirtioMMIORegister
        switch offset {
        case R.deviceFeaturesSel: deviceFeaturesSel = value
        case R.driverFeaturesSel: driverFeaturesSel = value
        case R.driverFeatures: writeDriverFeatures(value)
        case R.queueSel: queueSel = value
        case R.queueNum: updateQueue { $0.size = UInt16(truncatingIfNeeded: value) }
        case R.queueReady: updateQueue(allowWhenReady: true) { $0.ready = value == 1 }
        case R.queueDescLow: updateQueue { VirtqueueRegisters.setLow(&$0.descriptorTable, value) }
        case R.queueDescHigh: updateQueue { VirtqueueRegisters.setHigh(&$0.descriptorTable, value) }
        case R.queueDriverLow: updateQueue { VirtqueueRegisters.setLow(&$0.availRing, value) }
        case R.queueDriverHigh: updateQueue { VirtqueueRegisters.setHigh(&$0.availRing, value) }
        case R.queueDeviceLow: updateQueue { VirtqueueRegisters.setLow(&$0.usedRing, value) }
        case R.queueDeviceHigh: updateQueue { VirtqueueRegisters.setHigh(&$0.usedRing, value) }
        case R.queueNotify: notify(value)
        case R.interruptACK: interrupt.acknowledge(value)
        case R.status: writeStatus(value)
        default: refuse()
        }
    }

    var selectedQueue: VirtqueueRegisters? {
        queueSel < UInt32(queues.count) ? queues[Int(queueSel)] : nil
    }

    /// Queue registers are writable only between FEATURES_OK and DRIVER_OK, and (except QueueReady) only while
    /// the queue is not ready (VIRTIO 1.x §4.2.2.2: the driver disables a queue before changing it).
    private func updateQueue(allowWhenReady: Bool = false, _ change: (inout VirtqueueRegisters) -> Void) {
        guard driverStatus.contains(.featuresOK), !driverStatus.contains(.driverOK), !driverStatus.contains(.failed),
              queueSel < UInt32(queues.count), allowWhenReady || !queues[Int(queueSel)].ready else {
            refuse()
            return
        }
        change(&queues[Int(queueSel)])
    }

    private func writeDriverFeatures(_ value: UInt32) {
        guard driverStatus == [.acknowledge, .driver], driverFeaturesSel < 2 else {
            refuse()
            return
        }
        if driverFeaturesSel == 0 {
            driverFeatures = driverFeatures & 0xFFFF_FFFF_0000_0000 | UInt64(value)
        } else {
            driverFeatures = driverFeatures & 0xFFFF_FFFF | UInt64(value) << 32
        }
    }

    private func notify(_ value: UInt32) {
        guard isActivated, !interrupt.deviceNeedsReset, value < UInt32(queues.count) else {
            refuse()
            return
        }
        device.notify(queue: Int(value))
    }
}
