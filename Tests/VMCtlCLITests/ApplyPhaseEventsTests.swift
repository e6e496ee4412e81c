import Foundation
import Planner
@testable import Runtime
import Testing
@testable import VMCtlCLI

/// What the executor tells its `ApplyEvents`, in order.
final class RecordedEvents: ApplyEvents, @unchecked Sendable {
    enum Event: Equatable {
        case started(String)
        case progressed(String, ActionPhase)
        case finished(String, String)
    }

    private let lock = NSLock()
    private var recorded: [Event] = []
    var events: [Event] { lock.withLock { recorded } }

    func started(_ change: Change) { lock.withLock { recorded.append(.started(change.address.description)) } }
    func progressed(_ change: Change, phase: ActionPhase) { lock.withLock { recorded.append(.progressed(change.address.description, phase)) } }
    func finished(_ change: Change, outcome: ActionOutcome) {
        let text = switch outcome {
        case .done(let detail, _): "done: \(detail)"
        case .failed(let error, _): "failed: \(error)"
        case .skipped(let reason): "skipped: \(reason)"
        }
        lock.withLock { recorded.append(.finished(change.address.description, text)) }
    }
}

@Suite("The phases the executor reports while it runs a plan (no VM boots)")
struct ApplyPhaseEventsTests {
    @Test("an image VM's import reports its bytes from 0 to the whole image, then fails on a wrong sha256 before any other phase")
    func importProgress() throws {
        let env = try E2EStack(stack: "phases")
        defer { env.tearDown() }
        // 16 MiB that are not zeros: four chunks of the copy, each reported.
        let size = 16 << 20
        let image = env.dir + "/disk.raw"
        try Data(repeating: 0x5A, count: size).write(to: URL(fileURLWithPath: image))
        let wrong = String(repeating: "0", count: 64)
        let manifest = try env.write("""
            apiVersion: vmctl/v1
            kind: Stack
            metadata: {name: phases}
            vms:
              db:
                image: {path: \(image), sha256: "\(wrong)"}
                firmware: bios

            """)
        let stateDirectory = StateDirectory(path: env.dir)
        let desired = try StackLoading.requireStack([manifest], host: stateDirectory)
        let runtime = StackRuntime(stateDirectory: stateDirectory, stack: desired.name, guests: DefaultGuestProvider(stateDirectory: stateDirectory))
        let observed = try runtime.observe()
        let plan = Planner.plan(desired: desired, observed: observed)
        let recorder = RecordedEvents()
        let report = Executor(runtime: runtime, options: ApplyOptions(), events: recorder).apply(plan, desired: desired, observed: observed)
        #expect(report.failures == 1)

        let events = recorder.events
        #expect(events.first == .started("vm.db"), "\(events)")
        let imports = events.compactMap { event -> (UInt64, UInt64)? in
            if case .progressed(_, .importingImage(let done, let total)) = event { return (done, total) } else { return nil }
        }
        #expect(imports.first.map { $0 == (0, UInt64(size)) } == true, "\(imports)")
        #expect(imports.last.map { $0 == (UInt64(size), UInt64(size)) } == true, "\(imports)")
        #expect(imports.count >= 5 && zip(imports, imports.dropFirst()).allSatisfy { $0.0 <= $1.0 }, "\(imports)")
        #expect(events.count == 1 + imports.count + 1, "no phase but the import's: \(events)")
        guard case .finished("vm.db", let result)? = events.last else { Issue.record("\(events)"); return }
        #expect(result.hasPrefix("failed: ") && result.contains(wrong), "\(result)")
    }
}
