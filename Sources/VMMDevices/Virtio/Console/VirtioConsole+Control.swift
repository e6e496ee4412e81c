extension VirtioConsole {
    /// Queues a device → driver control message and delivers what the control receive queue takes. Beyond
    /// `controlLimit` unread messages (a driver that posts no buffers but keeps asking) new ones are dropped.
    func sendControl(_ message: VirtioConsoleControl) {
        guard controlPending.count < Self.controlLimit else {
            stats.droppedControl += 1
            return
        }
        controlPending.append(message)
        deliverControl()
    }

    /// One pending control message per receive chain, oldest first. A chain too short for its message goes back
    /// empty (counted as invalid) and the message waits for the next one.
    func deliverControl() {
        guard isMultiport, let queue = queue(Self.controlReceiveQueue), let memory, let interrupt else { return }
        do throws(VirtqueueError) {
            let wanted = try queue.fillAvailable(while: { !controlPending.isEmpty }, invalid: { stats.invalidChains += 1 }) { chain in
                let bytes = controlPending[0].bytes
                let written = chain.writableLength >= UInt64(bytes.count) ? write(bytes, into: chain, memory: memory) : 0
                guard written == bytes.count else {
                    stats.invalidChains += 1
                    return 0
                }
                controlPending.removeFirst()
                return UInt32(written)
            }
            if wanted { interrupt.usedBuffer() }
        } catch {
            broke(error)
        }
    }

    /// The driver's control messages (Linux sends one and spins until it comes back, so this never waits).
    func handleControl() {
        guard let queue = queue(Self.controlTransmitQueue), let memory, let interrupt else { return }
        var messages: [VirtioConsoleControl?] = []
        do throws(VirtqueueError) {
            let wanted = try queue.processAvailable(invalid: { _ in stats.invalidChains += 1 }) { chain in
                messages.append(VirtioConsoleControl(header: header(of: chain, memory: memory)))
                return 0
            }
            if wanted { interrupt.usedBuffer() }
        } catch {
            broke(error)
        }
        for message in messages { handle(message) }
    }

    /// The first eight readable bytes of a chain, gathered across descriptors (fewer when it has fewer).
    private func header(of chain: DescriptorChain, memory: any GuestMemory) -> [UInt8] {
        var bytes: [UInt8] = []
        for buffer in chain.readable where bytes.count < VirtioConsoleControl.headerSize {
            let count = Int(min(UInt64(buffer.length), UInt64(VirtioConsoleControl.headerSize - bytes.count)))
            guard let piece = try? memory.readBytes(buffer.address, count: count) else { break }
            bytes += piece
        }
        return bytes
    }

    private func handle(_ message: VirtioConsoleControl?) {
        guard let message, let event = VirtioConsoleControl.Event(rawValue: message.event) else {
            stats.invalidControl += 1
            return
        }
        switch event {
        case .deviceReady:
            // Value 0: the driver could not set up; it will not take ports.
            guard message.value == 1 else { return }
            for port in ports.indices { sendControl(VirtioConsoleControl(id: UInt32(port), event: .deviceAdd, value: 1)) }
        case .portReady:
            guard let port = portIndex(message.id) else { return }
            // Value 0: the driver failed to add the port; it stays silent.
            ports[port].ready = message.value == 1
            guard ports[port].ready else { return }
            if port == 0 { sendControl(VirtioConsoleControl(id: 0, event: .consolePort, value: 1)) }
            if let name = ports[port].name { sendControl(.portName(UInt32(port), name)) }
            if ports[port].hostConnected { sendControl(VirtioConsoleControl(id: UInt32(port), event: .portOpen, value: 1)) }
        case .portOpen:
            guard let port = portIndex(message.id) else { return }
            ports[port].guestOpen = message.value != 0
            deliverInput(port: port)
        case .deviceAdd, .deviceRemove, .consolePort, .resize, .portName:
            stats.invalidControl += 1   // device → driver events only
        }
    }

    /// The port a message names; nil (and counted) when there is no such port.
    private func portIndex(_ id: UInt32) -> Int? {
        guard id < UInt32(ports.count) else {
            stats.invalidControl += 1
            return nil
        }
        return Int(id)
    }
}
