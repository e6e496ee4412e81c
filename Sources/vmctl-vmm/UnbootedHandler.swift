import Glibc
import Synchronization
import VMMControl

/// The control handler of a VMM without a VM: until the VMM core (KVM layer, devices) plugs in, describe
/// and stats tell the truth (no vCPU has run; the process is stopping) and every command that would act on
/// a guest answers `not-implemented`. The real machine implements the same `ControlHandler`.
final class UnbootedHandler: ControlHandler {
    static let reason = "this vmctl-vmm has no VMM core yet (the KVM layer and device models are in progress, issue 5); it cannot boot guests"

    let spec: LaunchSpec
    let started: ContinuousClock.Instant

    init(spec: LaunchSpec, started: ContinuousClock.Instant) {
        self.spec = spec
        self.started = started
    }

    func handle(_ command: ControlCommand) throws(ControlError) -> ControlResult {
        switch command {
        case .describe:
            let uptime = ContinuousClock.now - started
            let ms = Int(uptime.components.seconds) * 1000 + Int(uptime.components.attoseconds / 1_000_000_000_000_000)
            return .description(VMDescription(name: spec.name, state: .stopping, vcpus: spec.vcpus, memoryMiB: spec.memoryMiB,
                                              uptimeMilliseconds: ms, pid: getpid(), exits: 0))
        case .stats:
            let vcpus = (0..<spec.vcpus).map { VMStats.VCPU(index: $0, exits: 0) }
            return .stats(VMStats(vcpus: vcpus, exitsByReason: [:], unknownPortIO: 0, residentBytes: ProcessMemory.residentBytes() ?? 0))
        case .pause, .resume, .shutdown, .powerOff, .reset, .consoleInput:
            throw ControlError(.notImplemented, "\(command.name.rawValue): \(Self.reason)")
        }
    }
}
