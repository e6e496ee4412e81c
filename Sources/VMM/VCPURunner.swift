import KVM
import VMMControl
import VMMDevices

/// One vCPU thread's loop: read the gate, run the guest, dispatch the exit, repeat (vmm-facts §7, §9.17).
/// Port I/O and MMIO go to the buses; unclaimed port I/O is answered at once (reads are zeros) and counted.
/// Exits that end or reset the machine become supervisor requests; the thread then stays out of the guest.
struct VCPURunner: Sendable {
    enum Outcome: Equatable {
        case resume
        case request(Supervisor.Request)
    }

    let vcpu: VCPU
    let index: Int
    let gate: RunGate
    let devices: DeviceSet
    let counters: ExitCounters
    let supervisor: Supervisor

    /// The thread body. Returns when the gate says `.stopping`.
    func run() {
        try? VCPUKicker.unblockSignalInCurrentThread()
        gate.register(index, kicker: vcpu.makeKicker())
        while true {
            switch gate.current {
            case .stopping:
                return
            case .paused:
                // Tell kvmclock the guest was stopped, so its watchdog does not report a soft lockup after
                // resume; fails (ignored) until the guest enables kvmclock.
                _ = gate.park { try? vcpu.notifyPaused() }
            case .running:
                let exit: VMExit
                do { exit = try vcpu.run() } catch {
                    supervisor.post(.stop(.vmmError, message: "vCPU \(index): \(error)"))
                    continue
                }
                let outcome: Outcome
                do { outcome = try handle(exit) } catch {
                    outcome = .request(.stop(.vmmError, message: "vCPU \(index): \(error)"))
                }
                if case .request(let request) = outcome { supervisor.post(request) }
            }
        }
    }

    /// Dispatches one exit. Counts it by reason (and unclaimed port I/O).
    func handle(_ exit: VMExit) throws(KVMError) -> Outcome {
        switch exit {
        case let .ioIn(port, size, count):
            guard let (device, offset) = devices.pio.device(at: UInt64(port)) else {
                counters.record(.ioIn, unknownPort: true)
                return .resume  // the KVM layer already zeroed the data KVM copies back
            }
            counters.record(.ioIn)
            var all: [UInt8] = []
            all.reserveCapacity(size * count)
            for _ in 0..<count {
                var data = [UInt8](repeating: 0, count: size)
                device.read(offset: offset, data: &data)
                all += data
            }
            try vcpu.completeRead(all)
            return .resume
        case let .ioOut(port, size, count, data):
            guard let (device, offset) = devices.pio.device(at: UInt64(port)) else {
                counters.record(.ioOut, unknownPort: true)
                return .resume
            }
            counters.record(.ioOut)
            if count == 1 {
                device.write(offset: offset, data: data)
            } else {
                for access in 0..<count { device.write(offset: offset, data: Array(data[access * size..<(access + 1) * size])) }
            }
            return .resume
        case let .mmioRead(address, length):
            counters.record(.mmioRead)
            guard let (device, offset) = devices.mmio.device(at: address) else { return .resume }
            var data = [UInt8](repeating: 0, count: length)
            device.read(offset: offset, data: &data)
            try vcpu.completeRead(data)
            return .resume
        case let .mmioWrite(address, data):
            counters.record(.mmioWrite)
            if let (device, offset) = devices.mmio.device(at: address) { device.write(offset: offset, data: data) }
            return .resume
        case .hlt:
            // Not expected with the in-kernel LAPIC (KVM halts the vCPU itself); go back in.
            counters.record(.hlt)
            return .resume
        case .interrupted:
            counters.record(.interrupted)
            return .resume
        case .shutdown:
            counters.record(.shutdown)
            return .request(.stop(.guestCrash, message: "vCPU \(index): triple fault (KVM_EXIT_SHUTDOWN)\(location())"))
        case .systemEvent(let event):
            counters.record(.systemEvent)
            switch event {
            case .shutdown: return .request(.stop(.guestPowerOff, message: nil))
            case .reset: return .request(.reset(reason: "KVM system event reset on vCPU \(index)"))
            case .crash: return .request(.stop(.guestCrash, message: "vCPU \(index): the guest reported a crash (KVM system event)"))
            case let .other(type, data):
                return .request(.stop(.vmmError, message: "vCPU \(index): unhandled KVM system event \(type) (data 0x\(String(data, radix: 16)))"))
            }
        case let .internalError(suberror, data):
            counters.record(.internalError)
            let failure = EmulationFailure(suberror: suberror, data: data)
            if let failure, let completed = try EmulationFallback.complete(failure, vcpu: vcpu) {
                counters.recordEmulated(completed, vcpu: index)
                return .resume
            }
            let kind = failure == nil ? "" : " (emulation failure" + (failure?.instruction.isEmpty == false ? ", instruction bytes \(failure?.hex ?? "")" : "") + ")"
            let words = data.map { "0x" + String($0, radix: 16) }.joined(separator: " ")
            return .request(.stop(.guestCrash, message: "vCPU \(index): KVM internal error, suberror \(suberror)\(kind)\(location()); data [\(words)]"))
        case let .failEntry(reason, cpu):
            counters.record(.failEntry)
            return .request(.stop(.guestCrash, message: "vCPU \(index): VM entry failed, hardware reason 0x\(String(reason, radix: 16)) on host CPU \(cpu)\(location())"))
        case let .unknown(reason, hardwareReason):
            counters.record(.unknown)
            return .request(.stop(.vmmError, message: "vCPU \(index): unhandled KVM exit reason \(reason) (hardware reason 0x\(String(hardwareReason, radix: 16)))"))
        }
    }

    /// " at RIP 0x…" for crash messages, when the registers can still be read.
    private func location() -> String {
        guard let registers = try? vcpu.registers() else { return "" }
        return " at RIP 0x\(String(registers.rip, radix: 16))"
    }
}
