extension VirtioMMIOTransport {
    /// The status ladder. Writing 0 resets; FAILED may be added at any time; otherwise exactly the next step of
    /// ACKNOWLEDGE → DRIVER → FEATURES_OK → DRIVER_OK may be added, keeping the bits already set. Anything else
    /// (skipping a step, clearing a bit, writing after FAILED) is refused and the status stays as it was.
    func writeStatus(_ value: UInt32) {
        guard value != 0 else {
            reset()
            return
        }
        // The driver echoes NEEDS_RESET back when it read-modify-writes; it is the device's bit, not the driver's.
        let requested = VirtioStatus(rawValue: value & ~VirtioStatus.needsReset.rawValue)
        let current = driverStatus
        guard requested.isSuperset(of: current), !current.contains(.failed) else {
            refuse()
            return
        }
        let added = requested.subtracting(current)
        if added.contains(.failed) {
            // The driver gave up; keep what it had and stop the device from being used.
            driverStatus = current.union(.failed)
            return
        }
        switch (current, added) {
        case (_, []):
            return
        case ([], .acknowledge), ([.acknowledge], .driver):
            driverStatus = requested
        case ([.acknowledge, .driver], .featuresOK):
            // Refusing FEATURES_OK (leaving it clear) is how a device rejects the driver's feature choice.
            guard featuresAcceptable else {
                refuse()
                return
            }
            driverStatus = requested
        case ([.acknowledge, .driver, .featuresOK], .driverOK):
            driverStatus = requested
            activate()
        default:
            refuse()
        }
    }

    /// The driver may accept only offered features, and must accept VERSION_1 on a version 2 transport.
    var featuresAcceptable: Bool {
        driverFeatures & ~offeredFeatures == 0 && driverFeatures & VirtioFeature.version1 != 0
    }

    private func activate() {
        let eventIndex = driverFeatures & VirtioFeature.eventIndex != 0
        let indirect = driverFeatures & VirtioFeature.indirectDescriptors != 0
        var built: [SplitVirtqueue?] = []
        for (index, registers) in queues.enumerated() {
            guard registers.ready else {
                built.append(nil)
                continue
            }
            do throws(VirtqueueError) {
                built.append(try SplitVirtqueue(layout: registers.layout, maxSize: registers.maxSize, memory: memory,
                                                eventIndex: eventIndex, indirectDescriptors: indirect))
            } catch {
                interrupt.needsReset("queue \(index): \(error)")
                return
            }
        }
        do throws(VirtioActivationError) {
            try device.activate(features: driverFeatures, queues: built, memory: memory, interrupt: interrupt)
            isActivated = true
        } catch {
            interrupt.needsReset("activation: \(error)")
        }
    }
}
