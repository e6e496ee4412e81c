import ArgumentParser
import Foundation
import Planner
import Runtime
import VMCtlModel

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what apply would change, with the impact of every change.",
        discussion: """
            Compares the manifests with what exists on the host. Symbols: + create, - delete, ~ update in place, -/+ replace, ↻ restart, ▶ start, ■ stop, ⟲ reset. Impacts: none, live, restart, recreate, destroy, data-loss.

            \(PathOptions.discussion)

            Exit status: 0 success (with --detailed-exitcode: 0 no changes, 2 changes present), 1 error, refused plan, or a VM whose state file cannot be read (the rest is still planned), 2 usage error.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var format: OutputOptions
    @OptionGroup var confinement: PathOptions

    @Flag(help: "Exit 0 when there are no changes, 2 when there are, 1 on error.")
    var detailedExitcode = false

    @Flag(help: "Delete VMs and networks of the stack that are no longer in the manifest.")
    var prune = false

    @Flag(help: "Also delete volumes that are no longer in the manifest (their data is lost).")
    var pruneVolumes = false

    @Option(help: ArgumentHelp("Save the plan to FILE, to apply later exactly as shown.", valueName: "file"))
    var out: String?

    @Option(help: ArgumentHelp("Plan against an observed-state snapshot (JSON) instead of the live host.", valueName: "file", visibility: .hidden))
    var observed: String?

    @Argument(help: ArgumentHelp("Manifest files or folders; - reads standard input.", valueName: "path"))
    var paths: [String] = []

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("name at least one manifest file or folder (or - for standard input)") }
    }

    func run() throws {
        let stack = try StackLoading.requireStack(paths, host: observed == nil ? RuntimeContext(global).stateDirectory : nil,
                                                   confinement: confinement)
        let observed: ObservedState
        do {
            if let snapshot = self.observed {
                observed = try RecordedStateSource.read(snapshot, stack: stack.name)
            } else {
                observed = try RuntimeContext(global).runtime(for: stack.name).observe()
            }
        } catch {
            Console.err("vmctl: error: \(error)\n")
            throw ExitCode(1)
        }
        let plan = Planner.plan(desired: stack, observed: observed, options: PlanOptions(prune: prune, pruneVolumes: pruneVolumes))
        switch format.output {
        case .json: Console.out(PlanJSON.encode(PlanJSON(plan, fingerprint: Fingerprint.of(observed))))
        case .human: Console.out(PlanView(style: .forStandardOutput()).render(plan))
        }
        Console.err(PlanView(style: Style(enabled: false)).renderRefusals(plan))
        guard plan.isApplicable else { throw ExitCode(1) }
        if let out { try save(SavedPlan(plan: plan, desired: stack, observed: observed), to: out) }
        // Apply would apply the rest, but the stack cannot match the manifest: an error for pipelines.
        if !plan.blocked.isEmpty { throw ExitCode(1) }
        if detailedExitcode && plan.hasChanges { throw ExitCode(2) }
    }

    private func save(_ saved: SavedPlan, to path: String) throws {
        let text = PlanJSON.encode(saved)
        let temporary = path + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw UsageError(message: "cannot write the plan to '\(path)'")
        }
        // Rename is atomic: a reader never sees half a plan, and an old plan is replaced only when the new one is whole.
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw UsageError(message: "cannot write the plan to '\(path)': \(String(cString: strerror(errno)))")
        }
        if format.output == .human { Console.err("Saved the plan to \(path).\n") }
    }
}
