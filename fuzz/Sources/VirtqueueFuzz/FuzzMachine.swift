import VMMDevices

/// 16 KiB of guest RAM, one virtio-mmio transport with virtio-blk (or virtio-console or virtio-net), and a driver that the
/// input steers. Default layout: descriptor table at 0x0, avail ring at 0x1000, used ring at 0x1400, so the memory
/// image written at 0 controls descriptors and ring entries directly; data anywhere in RAM.
///
/// Operations (opcode = byte % 10):
///     0 push head u16 to the avail ring      1 set avail.idx u16          2 QueueNotify u8
///     3 write memory: addr u16, len u8, bytes 4 MMIO write: reg u8·4, u32  5 MMIO read reg u8·4
///     6 interrupt handler (read + ACK)        7 reset and probe again       8 write descriptor: index u8,
///       addr u64 (or u16 when the index's top bit is set), len u32, flags u16, next u16
///     9 config read: offset u8, width 1/2/4/8; console: host input len u8 + bytes; net: a host frame,
///       len u16 % 2048 + bytes
/// The console with a named port has its own queue map and operations (`MultiportMachine.swift`).
final class FuzzMachine {
    static let ramSize: UInt64 = 0x4000

    static func defaultLayout(size: UInt16) -> VirtqueueLayout {
        VirtqueueLayout(size: size, descriptorTable: GuestAddress(0), availRing: GuestAddress(0x1000),
                        usedRing: GuestAddress(0x1400))
    }

    let config: FuzzConfig
    static let topRegion = GuestAddress(0xFFFF_FFFF_FFFF_E000)
    let memory: ByteGuestMemory
    /// What the device is given: `memory`, with the device's writes of the current step recorded.
    let recorder: RecordingMemory
    let irq = NullInterrupt()
    let transport: VirtioMMIOTransport
    let block: VirtioBlock?
    let console: VirtioConsole?
    let net: VirtioNet?
    var availIndex: UInt16 = 0
    /// Multiport: each queue's avail.idx as the driver last wrote it, the next descriptor slot the driver
    /// operations use, and what the current step did that the checks need to know.
    var availIndices = [UInt16](repeating: 0, count: MultiportMap.queueCount)
    var nextSlots = [UInt16](repeating: 0, count: MultiportMap.queueCount)
    var stepFacts = MultiportStep()
    var usedEntriesChecked = 0
    var usedEntriesSkipped = 0

    init(config: FuzzConfig) {
        self.config = config
        if config.splitMemory {
            memory = ByteGuestMemory(regions: [
                GuestMemoryRegion(start: GuestAddress(0), size: 0x2000),
                GuestMemoryRegion(start: GuestAddress(0x2000), size: Self.ramSize - 0x2000),
                GuestMemoryRegion(start: Self.topRegion, size: 0x1000),
            ])
        } else {
            memory = ByteGuestMemory(size: Self.ramSize)
        }
        let device: any VirtioDevice
        if config.net {
            // A MAC of six bytes: MACAddress cannot fail here.
            let net = VirtioNet(mac: MACAddress([0x52, 0x54, 0, 0, 0, 1])!, output: CheckedNetOutput(), pendingLimit: 8)
            self.net = net
            console = nil
            block = nil
            device = net
        } else if config.console {
            let ports = config.multiport ? [VirtioConsolePort(name: "fuzz.port", output: NullOutput())] : []
            let console = VirtioConsole(output: NullOutput(), namedPorts: ports, inputLimit: 4096)
            self.console = console
            block = nil
            net = nil
            device = console
        } else {
            let block = VirtioBlock(backend: CheckedBackend(sectors: 16, readOnly: config.readOnly),
                                    readOnly: config.readOnly, serial: "fuzz")
            self.block = block
            console = nil
            net = nil
            device = block
        }
        recorder = RecordingMemory(memory)
        transport = VirtioMMIOTransport(device: device, memory: recorder, interruptLine: irq)
    }

    func loadImage(_ input: inout FuzzInput) {
        let length = Int(input.integer(UInt16.self)) % Int(Self.ramSize + 1)
        let image = input.take(length)
        try? memory.writeBytes(GuestAddress(0), image)
    }

    func write32(_ offset: UInt64, _ value: UInt32) {
        transport.write(offset: offset, data: (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) })
    }

    func read32(_ offset: UInt64) -> UInt32 {
        var data = [UInt8](repeating: 0, count: 4)
        transport.read(offset: offset, data: &data)
        return data.reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Linux's probe sequence with the config's features and layout, for every queue the device has.
    func probe() {
        write32(0x70, 0)
        write32(0x70, 1)
        write32(0x70, 3)
        write32(0x14, 0)
        let offered = UInt64(read32(0x10))
        var accepted = VirtioFeature.version1 | offered & ~(VirtioFeature.eventIndex | VirtioFeature.indirectDescriptors)
        if config.eventIndex { accepted |= offered & VirtioFeature.eventIndex }
        if config.indirect { accepted |= offered & VirtioFeature.indirectDescriptors }
        if config.declineMultiport { accepted &= ~VirtioConsole.multiportFeature }
        write32(0x24, 0)
        write32(0x20, UInt32(truncatingIfNeeded: accepted))
        write32(0x24, 1)
        write32(0x20, 1)
        write32(0x70, 0xB)
        // Linux sets up the control queues and port 1's only when MULTIPORT was accepted.
        let queueCount = config.multiport && !config.declineMultiport ? MultiportMap.queueCount : 2
        for queue in 0..<queueCount {
            write32(0x30, UInt32(queue))
            let maxSize = read32(0x34)
            guard maxSize != 0 else { break }
            // The queue the input does not drive sits 0x2000 further so the queues do not share rings.
            let shift: UInt64 = queue == config.fuzzedQueue ? 0 : 0x2000
            let layout = config.multiport ? MultiportMap.layout(queue: queue, size: config.layout.size, maxSize: maxSize)
                : config.layout
            write32(0x38, UInt32(layout.size))
            for (register, address) in [(0x80, layout.descriptorTable), (0x90, layout.availRing), (0xA0, layout.usedRing)] {
                let value = config.multiport ? address.value : address.value &+ shift
                write32(UInt64(register), UInt32(truncatingIfNeeded: value))
                write32(UInt64(register + 4), UInt32(truncatingIfNeeded: value >> 32))
            }
            write32(0x44, 1)
        }
        write32(0x70, 0xF)
        availIndex = 0
        availIndices = availIndices.map { _ in 0 }
    }

    /// One operation, with the device's writes recorded for the checks.
    func step(_ input: inout FuzzInput) {
        recorder.writes.removeAll(keepingCapacity: true)
        if let console, config.multiport {
            stepFacts = MultiportStep(before: console)
            multiportStep(&input)
        } else {
            commonStep(&input)
        }
    }

    private func commonStep(_ input: inout FuzzInput) {
        let layout = config.layout
        let opcode = input.byte() % 10
        switch opcode {
        case 0:
            let head: UInt16 = input.integer()
            let size = max(1, UInt64(layout.size))
            try? memory.writeInteger(GuestAddress(layout.availRing.value &+ 4 &+ 2 * (UInt64(availIndex) % size)), head)
            availIndex &+= 1
            try? memory.writeInteger(GuestAddress(layout.availRing.value &+ 2), availIndex)
        case 1:
            availIndex = input.integer()
            try? memory.writeInteger(GuestAddress(layout.availRing.value &+ 2), availIndex)
        case 2:
            write32(0x50, UInt32(input.byte() % 3))
        case 3...7:
            sharedStep(opcode, &input)
        case 8:
            writeDescriptor(&input, table: layout.descriptorTable)
        default:
            if let console {
                console.receive(input.take(Int(input.byte())))
            } else if let net {
                net.receive(input.take(Int(input.integer(UInt16.self) % 2048)))
            } else {
                var data = [UInt8](repeating: 0, count: [1, 2, 4, 8][Int(input.byte() % 4)])
                transport.read(offset: 0x100 + UInt64(input.byte()), data: &data)
            }
        }
    }

    /// Operations 3-7, the same for every device.
    func sharedStep(_ opcode: UInt8, _ input: inout FuzzInput) {
        switch opcode {
        case 3:
            // Addresses ≥ 0x8000 land in the top region (when there is one) at the same offset from 0xE000.
            let address: UInt16 = input.integer()
            let bytes = input.take(Int(input.byte()))
            let target = address >= 0x8000 ? Self.topRegion.value + UInt64(address & 0x1FFF) : UInt64(address)
            try? memory.writeBytes(GuestAddress(target), bytes)
        case 4:
            let register = UInt64(input.byte()) * 4
            write32(register, input.integer())
        case 5:
            _ = read32(UInt64(input.byte()) * 4)
        case 6:
            write32(0x64, read32(0x60))
        default:
            probe()
        }
    }

    func writeDescriptor(_ input: inout FuzzInput, table: GuestAddress) {
        let selector = input.byte()
        let index = UInt64(selector & 0x7F)
        let address: UInt64 = selector & 0x80 != 0 ? UInt64(input.integer(UInt16.self)) : input.integer()
        let base = table.value &+ 16 &* index
        try? memory.writeInteger(GuestAddress(base), address)
        try? memory.writeInteger(GuestAddress(base &+ 8), input.integer(UInt32.self))
        try? memory.writeInteger(GuestAddress(base &+ 12), input.integer(UInt16.self))
        try? memory.writeInteger(GuestAddress(base &+ 14), input.integer(UInt16.self))
    }

    func report() {
        print("status 0x\(String(transport.status.rawValue, radix: 16)) activated \(transport.isActivated)"
              + " irqs \(irq.count) refused \(transport.refusedWrites) reset: \(transport.interrupt.resetReason ?? "-")")
        if let block { print("blk \(block.stats)") }
        if let console {
            print("console \(console.stats) pending \(console.pendingInput) multiport \(console.isMultiport)")
        }
        if config.multiport, let console {
            print("port 1 pending \(console.pendingInput(port: 1)) guest open \(console.isGuestOpen(port: 1))"
                  + " control pending \(ConsoleView(console).pendingControl)"
                  + " used entries checked \(usedEntriesChecked) skipped \(usedEntriesSkipped)")
        }
        if let net { print("net \(net.stats) pending \(net.pendingFrames)") }
    }

    /// Invariants that must hold after every operation.
    func check() {
        let status = transport.status
        if transport.isActivated {
            require(status.contains(.driverOK), "activated without DRIVER_OK")
        }
        if status.contains(.driverOK), !status.contains(.needsReset) {
            require(transport.isActivated, "DRIVER_OK without activation or NEEDS_RESET")
        }
        if let block {
            require(block.isBroken == false || status.contains(.needsReset), "broken device without NEEDS_RESET")
            let stats = block.stats
            require(stats.bytesRead <= 16 * 512 * UInt64(max(1, stats.completed)), "more read than requested")
        }
        if let console {
            require(console.pendingInput <= console.inputLimit, "input buffer over its bound")
            require(!console.isBroken || status.contains(.needsReset), "broken device without NEEDS_RESET")
            if config.multiport { checkMultiport(console) } else { checkUsedLengths(ConsoleView(console)) }
        }
        if let net {
            require(net.pendingFrames <= net.pendingLimit, "receive queue over its bound")
            require(!net.isBroken || status.contains(.needsReset), "broken device without NEEDS_RESET")
            let stats = net.stats
            require(stats.bytesIn <= stats.framesIn * UInt64(VirtioNet.maxFrame), "a delivered frame over the maximum")
        }
    }
}
