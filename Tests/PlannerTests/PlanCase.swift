import Foundation
import Manifest
import Planner
@testable import VMCtlCLI
import VMCtlModel

/// One golden planning case: `desired.yaml`, `observed.json` (absent: nothing exists), optional `options.json`
/// (`{"prune": true, "pruneVolumes": true}`), and the goldens `plan.txt` and `plan.json`.
/// Set VMCTL_UPDATE_GOLDEN=1 to rewrite goldens, then review the diff.
struct PlanCase: Sendable, CustomStringConvertible {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Cases")
    static let host = HostFacts(cpus: 8, memory: .gib(16))
    static let updating = ProcessInfo.processInfo.environment["VMCTL_UPDATE_GOLDEN"] == "1"

    let folder: URL
    var description: String { folder.lastPathComponent }

    static func all() -> [PlanCase] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.sorted().map { PlanCase(folder: root.appendingPathComponent($0)) }
    }

    func read(_ name: String) -> Data? { try? Data(contentsOf: folder.appendingPathComponent(name)) }

    func desired() throws -> Stack {
        let source = ManifestSource(name: "desired.yaml", baseDirectory: "/cases/\(description)", bytes: [UInt8](read("desired.yaml") ?? Data()))
        let result = ManifestLoader.load([source], env: [:], host: Self.host)
        guard let stack = result.stack else {
            throw CaseError(message: "\(description)/desired.yaml is invalid:\n" + DiagnosticsView.human(result.diagnostics))
        }
        return stack
    }

    func observed(stack: String) throws -> ObservedState {
        guard let data = read("observed.json") else { return .empty(stack) }
        return try JSONDecoder().decode(ObservedState.self, from: data)
    }

    func options() throws -> PlanOptions {
        guard let data = read("options.json") else { return PlanOptions() }
        return try JSONDecoder().decode(PlanOptions.self, from: data)
    }

    func plan() throws -> (Plan, ObservedState, Stack) {
        let stack = try desired()
        let observed = try observed(stack: stack.name)
        return (Planner.plan(desired: stack, observed: observed, options: try options()), observed, stack)
    }

    static func text(_ plan: Plan) -> String {
        let view = PlanView(style: Style(enabled: false))
        return view.render(plan) + view.renderRefusals(plan)
    }

    static func json(_ plan: Plan, observed: ObservedState) -> String {
        PlanJSON.encode(PlanJSON(plan, fingerprint: Fingerprint.of(observed)))
    }

    func golden(_ name: String, actual: String) -> String? {
        let url = folder.appendingPathComponent(name)
        if Self.updating { try? actual.write(to: url, atomically: true, encoding: .utf8) }
        return try? String(contentsOf: url, encoding: .utf8)
    }

    struct CaseError: Error, CustomStringConvertible { var message: String; var description: String { message } }
}
