import KVM
import VMMControl
import VMMDevices

/// Every device of one machine and the two buses they sit on (vmm-facts §2, §5). Devices outlive VM
/// generations: a reset puts them back in their power-on state (`reset()`) and the next generation binds
/// their interrupt lines and notification addresses again.
///
/// `@unchecked Sendable`: the buses are filled in `init` and only looked up afterwards (`Bus.device(at:)`
/// reads an array nobody writes); every device on them is thread-safe itself or a `SerializedDevice`.
final class DeviceSet: @unchecked Sendable {
    /// One virtio-mmio window (vmm-facts §6): the locked transport, its GSI and its queue count.
    struct VirtioSlot: Sendable {
        var name: String
        var base: UInt64
        var line: IRQLine
        var transport: SerializedDevice
        var queueCount: Int
    }

    /// One virtio-net device (its window is also in `virtio`) and the thread reading its host side.
    struct NetworkInterface: Sendable {
        var name: String
        var transport: SerializedDevice
        var reader: NetReader
    }

    static let firstVirtioGSI: UInt32 = 5
    /// The guest agent's port (GuestInit.agentScript looks for this name, as under QEMU's virtserialport).
    static let agentPortName = "vmctl.agent"
    static let agentPort = 1
    static let lastVirtioGSI: UInt32 = 23

    let consoleLog: ConsoleLog
    /// The spec's `consoleSocket`: serial output also goes to its client, its client's input to the UART.
    let consoleChannel: SocketChannel?
    /// The spec's `agentSocket`: the virtio-console's port `vmctl.agent` (port 1, MULTIPORT); the port's output goes
    /// to its client (not the log), its input to the guest, and the guest hears the client come and go (PORT_OPEN).
    let agentChannel: SocketChannel?
    let serial: Serial8250
    /// The virtio-console's transport (its window is also in `virtio`).
    let console: SerializedDevice
    let keyboard: I8042
    let powerPort: ACPIPowerPort
    let virtio: [VirtioSlot]
    /// In `spec.nets` order: the guest's eth0 is the first.
    let nets: [NetworkInterface]
    /// The Generic Event Device's interrupt: one edge = one press of the ACPI power button (DSDT).
    let powerButton: IRQLine
    let lines: [IRQLine]
    let pio = Bus()
    let mmio = Bus()

    init(spec: LaunchSpec, memory: GuestRAM, events: any PowerEvents) throws(VMMError) {
        let fds = spec.descriptors
        if let fds { consoleLog = try ConsoleLog(descriptor: fds.consoleLog, path: spec.consoleLog) } else { consoleLog = try ConsoleLog(path: spec.consoleLog) }
        // Serial output is small and also in the log; the agent's answers (base64 of a command's output) are not.
        consoleChannel = try spec.consoleSocket.map { path throws(VMMError) in
            try SocketChannel.bind(path, descriptor: fds?.consoleSocket, what: "console socket", outputLimit: 64 * 1024)
        }
        agentChannel = try spec.agentSocket.map { path throws(VMMError) in
            try SocketChannel.bind(path, descriptor: fds?.agentSocket, what: "agent socket", outputLimit: 4 * 1024 * 1024)
        }
        let serialLine = try IRQLine(gsi: DSDT.com1GSI)
        let keyboardLine = try IRQLine(gsi: DSDT.i8042GSI)
        serial = Serial8250(output: SerialConsoleOutput(log: consoleLog, channel: consoleChannel), interrupt: serialLine)
        keyboard = I8042(interrupt: keyboardLine, events: events)
        powerPort = ACPIPowerPort(events: events)

        var slots: [VirtioSlot] = []
        func nextWindow(_ name: String) throws(VMMError) -> (base: UInt64, line: IRQLine) {
            let gsi = Self.firstVirtioGSI + UInt32(slots.count)
            guard gsi <= Self.lastVirtioGSI else {
                throw .device("\(name): no free GSI (virtio devices use GSIs \(Self.firstVirtioGSI)–\(Self.lastVirtioGSI))")
            }
            return (BootLayout.virtioMMIOStart + UInt64(slots.count) * BootLayout.virtioMMIOWindow, try IRQLine(gsi: gsi))
        }
        // Disks first, in spec order, so the first one is /dev/vda (vmm-facts §2).
        for (index, disk) in spec.disks.enumerated() {
            let name = "virtio-blk \(disk.path)"
            let (base, line) = try nextWindow(name)
            let backend: RawFileBlockBackend
            do {
                backend = try Self.openDisk(disk, descriptor: fds?.disks[index])
            } catch {
                throw .disk(path: disk.path, error)
            }
            let serialNumber = String(disk.path.split(separator: "/").last ?? "disk\(index)")
            let device = VirtioBlock(backend: backend, readOnly: disk.readOnly, serial: serialNumber)
            let transport = SerializedDevice(VirtioMMIOTransport(device: device, memory: memory, interruptLine: line))
            slots.append(VirtioSlot(name: name, base: base, line: line, transport: transport, queueCount: 1))
        }
        // NICs after the disks, before the console, in spec order (eth0 is nets[0]).
        var nets: [NetworkInterface] = []
        for (index, net) in spec.nets.enumerated() {
            let nic = "nets[\(index)]"
            guard let bytes = net.macBytes, let mac = MACAddress(bytes) else {
                throw .device("\(nic): MAC \(net.mac) is not six hex octets")
            }
            let backend = try Self.backend(for: net, descriptor: fds?.nets[index], nic: nic)
            let name = "virtio-net \(nic) (\(backend))"
            let (base, line) = try nextWindow(name)
            let device = VirtioNet(mac: mac, output: backend)
            let transport = SerializedDevice(VirtioMMIOTransport(device: device, memory: memory, interruptLine: line))
            let reader = NetReader(nic: name, backend: backend) { frames in
                transport.withVirtioNet { net in
                    net.receive(frames)
                    return net.receiveRoom
                } ?? .max
            }
            // The guest's receive kicks and resets reach the reader, which stops reading while the device is full.
            transport.withVirtioNet { $0.onReceiveRoom = { [reader] in reader.deviceHasRoom() } }
            slots.append(VirtioSlot(name: name, base: base, line: line, transport: transport, queueCount: 2))
            nets.append(NetworkInterface(name: name, transport: transport, reader: reader))
        }
        self.nets = nets
        let (base, line) = try nextWindow("virtio-console")
        // Port 0 (hvc0) writes to the log; with an agent socket, port 1 is the agent's named port.
        let agentPorts = agentChannel.map { [VirtioConsolePort(name: Self.agentPortName, output: AgentChannelOutput(channel: $0))] } ?? []
        let device = VirtioConsole(output: consoleLog, namedPorts: agentPorts)
        let queueCount = device.queueMaxSizes.count
        let transport = SerializedDevice(VirtioMMIOTransport(device: device, memory: memory, interruptLine: line))
        console = transport
        slots.append(VirtioSlot(name: "virtio-console", base: base, line: line, transport: transport, queueCount: queueCount))
        virtio = slots
        // The GED takes the GSI after the virtio devices (at most 5 + 17 = 22 with the spec's 16 disks and NICs).
        let gedGSI = Self.firstVirtioGSI + UInt32(slots.count)
        guard gedGSI <= Self.lastVirtioGSI else { throw .device("power button: no free GSI after \(slots.count) virtio devices") }
        powerButton = try IRQLine(gsi: gedGSI)
        lines = [keyboardLine, serialLine] + slots.map(\.line) + [powerButton]

        do {
            try pio.register(serial, at: Bus.Range(base: UInt64(DSDT.com1Port), length: 8))
            try pio.register(keyboard, at: Bus.Range(base: UInt64(I8042.basePort), length: I8042.length))
            try pio.register(powerPort, at: Bus.Range(base: UInt64(ACPIPowerPort.port), length: ACPIPowerPort.length))
            for slot in slots {
                try mmio.register(slot.transport, at: Bus.Range(base: slot.base, length: BootLayout.virtioMMIOWindow))
            }
        } catch {
            throw .device("bus layout: \(error)")
        }
    }

    /// The DSDT describing these devices: one LNRO0005 entry per virtio window, COM1, PS/2, the power button
    /// and its Generic Event Device, \_S5_.
    var dsdt: DSDT {
        DSDT(virtio: virtio.map { DSDT.VirtioMMIO(base: $0.base, gsi: $0.line.gsi) }, powerButtonGSI: powerButton.gsi)
    }

    /// Starts every NIC's reader thread (once per machine: NICs, like all devices, outlive VM generations).
    func startNetworkReaders() throws(VMMError) {
        for (index, net) in nets.enumerated() {
            do { try net.reader.start() } catch {
                for started in nets.prefix(index) { started.reader.stop() }
                throw error
            }
        }
    }

    /// Stops and joins the NIC readers; frames still arriving stay in the tap or socket.
    func stopNetworkReaders() {
        for net in nets { net.reader.stop() }
    }

    /// Starts serving the console and agent sockets (once per machine). Console input is taken only where the
    /// spec enables serial input (as for `console-input`); otherwise the client's bytes are read and discarded.
    func startChannels(serialInput: Bool) throws(VMMError) {
        if let consoleChannel {
            try consoleChannel.start("console socket") { [serial] bytes in serialInput ? serial.enqueue(bytes) : bytes.count }
        }
        if let agentChannel {
            do {
                let port = Self.agentPort
                try agentChannel.start("agent socket", deliver: { [console] bytes in
                    console.withVirtioConsole { $0.receive(bytes, port: port) } ?? bytes.count
                }, connected: { [console] connected in
                    _ = console.withVirtioConsole { $0.setHostConnected(connected, port: port) }
                })
            } catch {
                consoleChannel?.stop()
                throw error
            }
        }
    }

    /// Stops the console and agent sockets' threads (their clients are disconnected) and notes in vmm.log
    /// what slow clients lost.
    func stopChannels() {
        for (what, channel) in [("console socket", consoleChannel), ("agent socket", agentChannel)] {
            guard let channel else { continue }
            channel.stop()
            if channel.droppedBytes > 0 {
                VMMLog.note("\(what) \(channel.path): \(channel.droppedBytes) bytes of output dropped (the client did not read them in time)")
            }
        }
    }

    /// Each NIC's counters, in spec order (for `stats`).
    var networkStats: [(name: String, stats: VirtioNetStats)] {
        nets.map { net in (net.name, net.transport.withVirtioNet { $0.stats } ?? VirtioNetStats()) }
    }

    /// A disk by path, or by the descriptor vmctl-launch opened for a confined VMM.
    private static func openDisk(_ disk: LaunchSpec.Disk, descriptor: Int32?) throws(BlockBackendError) -> RawFileBlockBackend {
        guard let descriptor else { return try RawFileBlockBackend(path: disk.path, readOnly: disk.readOnly) }
        return try RawFileBlockBackend(descriptor: descriptor, path: disk.path, readOnly: disk.readOnly)
    }

    private static func backend(for net: LaunchSpec.Net, descriptor: Int32?, nic: String) throws(VMMError) -> any NetBackend {
        switch (net.tap, net.switchSocket, descriptor) {
        case (let tap?, nil, nil): return try TapBackend(name: tap, nic: nic)
        case (let tap?, nil, let fd?): return try TapBackend(descriptor: fd, name: tap, nic: nic)
        case (nil, let path?, nil): return try SwitchBackend(path: path, nic: nic)
        case (nil, let path?, let fd?): return try SwitchBackend(descriptor: fd, path: path, nic: nic)
        default: throw .device("\(nic): needs exactly one of tap and switchSocket")
        }
    }

    /// Power-on state for a reset: UART and i8042 registers cleared, every virtio device reset as if the
    /// driver wrote status 0 (queues forgotten; disks stay open).
    func reset() {
        serial.reset()
        keyboard.reset()
        for slot in virtio {
            slot.transport.write(offset: VirtioMMIOTransportOffsets.status, data: [0, 0, 0, 0])
        }
    }
}

/// virtio-mmio register offsets the VMM itself writes (VMMDevices keeps its register map internal).
enum VirtioMMIOTransportOffsets {
    /// QueueNotify: the driver writes the queue index.
    static let queueNotify: UInt64 = 0x050
    /// Status: writing 0 resets the device.
    static let status: UInt64 = 0x070
}
