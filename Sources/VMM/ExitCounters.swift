import KVM
import Synchronization

/// Why a vCPU left KVM_RUN, with the names `stats` reports (docs/control-protocol.md).
public enum ExitReason: Int, CaseIterable, Sendable {
    case ioIn, ioOut, mmioRead, mmioWrite, hlt, shutdown, systemEvent, internalError, failEntry, interrupted, unknown

    public var name: String {
        switch self {
        case .ioIn: return "io-in"
        case .ioOut: return "io-out"
        case .mmioRead: return "mmio-read"
        case .mmioWrite: return "mmio-write"
        case .hlt: return "hlt"
        case .shutdown: return "shutdown"
        case .systemEvent: return "system-event"
        case .internalError: return "internal-error"
        case .failEntry: return "fail-entry"
        case .interrupted: return "interrupted"
        case .unknown: return "unknown"
        }
    }

    public init(_ exit: VMExit) {
        switch exit {
        case .ioIn: self = .ioIn
        case .ioOut: self = .ioOut
        case .mmioRead: self = .mmioRead
        case .mmioWrite: self = .mmioWrite
        case .hlt: self = .hlt
        case .shutdown: self = .shutdown
        case .systemEvent: self = .systemEvent
        case .internalError: self = .internalError
        case .failEntry: self = .failEntry
        case .interrupted: self = .interrupted
        case .unknown: self = .unknown
        }
    }
}

/// One vCPU's exit counts since the VMM started (they survive resets). Written by its vCPU thread, read by
/// `stats`; the lock is uncontended except while stats reads it.
final class ExitCounters: Sendable {
    struct Counts: Sendable {
        var byReason = [Int](repeating: 0, count: ExitReason.allCases.count)
        /// Port I/O accesses no device claimed (answered at once; reads are zeros).
        var unknownPortIO = 0
        /// Instructions KVM could not emulate that the VMM completed (`EmulationFallback`), by kind.
        var emulated: [EmulationFallback.Instruction: Int] = [:]
        var total: Int { byReason.reduce(0, +) }
    }

    private let counts = Mutex(Counts())

    func record(_ reason: ExitReason, unknownPort: Bool = false) {
        counts.withLock {
            $0.byReason[reason.rawValue] += 1
            if unknownPort { $0.unknownPortIO += 1 }
        }
    }

    var snapshot: Counts { counts.withLock { $0 } }

    /// Kinds already noted in vmm.log, for the whole VMM (one VM per process): each is logged once, then only counted.
    private static let noted = Mutex<Set<EmulationFallback.Instruction>>([])

    /// Counts an instruction the VMM completed for KVM; the first of its kind is noted in vmm.log.
    func recordEmulated(_ instruction: EmulationFallback.Instruction, vcpu index: Int) {
        counts.withLock { $0.emulated[instruction, default: 0] += 1 }
        if Self.noted.withLock({ $0.insert(instruction).inserted }) {
            VMMLog.note("vCPU \(index): KVM could not emulate \(instruction.rawValue); completed by the VMM "
                        + "(docs/vmm.md, \"Emulation fallbacks\"); later ones are counted in stats (emulated), not logged")
        }
    }
}
