import Glibc
import VMMControl
import VMMDevices

/// The control protocol on a running machine (docs/control-protocol.md). Called from control connection
/// threads; state changes go through the supervisor, which the machine's main thread serves in order.
struct MachineControlHandler: ControlHandler {
    let machine: Machine

    func handle(_ command: ControlCommand) throws(ControlError) -> ControlResult {
        let supervisor = machine.supervisor
        switch command {
        case .describe:
            return .description(VMDescription(
                name: machine.spec.name, state: Self.wireState(supervisor.runState), vcpus: machine.spec.vcpus,
                memoryMiB: machine.spec.memoryMiB, uptimeMilliseconds: machine.uptimeMilliseconds, pid: getpid(),
                exits: machine.exitCounts.reduce(0) { $0 + $1.total }))
        case .stats:
            let counts = machine.exitCounts
            var byReason: [String: Int] = [:]
            for reason in ExitReason.allCases {
                let total = counts.reduce(0) { $0 + $1.byReason[reason.rawValue] }
                if total > 0 { byReason[reason.name] = total }
            }
            var emulated: [String: Int] = [:]
            for count in counts { for (instruction, n) in count.emulated { emulated[instruction.rawValue, default: 0] += n } }
            return .stats(VMStats(
                vcpus: counts.enumerated().map { VMStats.VCPU(index: $0.offset, exits: $0.element.total) },
                exitsByReason: byReason, unknownPortIO: counts.reduce(0) { $0 + $1.unknownPortIO },
                residentBytes: ProcessMemory.residentBytes() ?? 0, nets: netStats(), emulated: emulated))
        case .pause:
            try supervisor.perform(.pause)
            return .done
        case .resume:
            try supervisor.perform(.resume)
            return .done
        case .reset:
            try supervisor.perform(.reset(reason: "reset through the control socket"))
            return .done
        case .shutdown(.acpi):
            try requireNotStopping()
            supervisor.noteShutdownRequested()
            machine.parts.devices.powerButton.trigger()  // the GED's interrupt: _EVT notifies the power button
            return .done
        case .shutdown(.ctrlAltDel):
            try requireNotStopping()
            supervisor.noteShutdownRequested()
            guard machine.parts.devices.keyboard.sendCtrlAltDel() else {
                throw ControlError(.failed, "shutdown: the i8042 keyboard queue is full (the guest is not reading it); retry or use power-off")
            }
            return .done
        case .powerOff:
            try requireNotStopping()
            return .done  // the machine stops once the response is out (responseSent)
        case .consoleInput(let bytes):
            guard machine.spec.serialInput else { throw ControlError(.consoleInputDisabled, "serial input is not enabled for this VM") }
            try requireNotStopping()
            return .consoleInput(ConsoleInputResult(accepted: machine.parts.devices.serial.enqueue(bytes)))
        }
    }

    func responseSent(for command: ControlCommand, outcome: Result<ControlResult, ControlError>) {
        guard command == .powerOff, case .success = outcome else { return }
        machine.supervisor.post(.stop(.poweredOff, message: nil))
    }

    /// One entry per NIC in spec order: DeviceSet builds one device per `spec.nets` entry, in that order.
    private func netStats() -> [VMStats.Net] {
        zip(machine.spec.nets, machine.parts.devices.networkStats).enumerated().map { index, pair in
            VMStats.Net(index: index, spec: pair.0, counters: pair.1.stats)
        }
    }

    private func requireNotStopping() throws(ControlError) {
        if machine.supervisor.runState == .stopping { throw Supervisor.stoppingError }
    }

    static func wireState(_ state: RunState) -> VMRunState {
        switch state {
        case .running: return .running
        case .paused: return .paused
        case .stopping: return .stopping
        }
    }
}
