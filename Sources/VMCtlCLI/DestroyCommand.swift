import ArgumentParser
import Foundation
import Planner
import Reconciler
import Runtime
import VMCtlModel

struct DestroyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "destroy",
        abstract: "Remove a stack's VMs, their processes and runtime files; volumes only with --volumes.",
        discussion: "Shows what will be removed and asks on a terminal, like apply.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: StackSelection
    @OptionGroup var locking: LockOptions

    @Flag(help: "Apply without asking for confirmation.")
    var autoApprove = false

    @Flag(help: "Also delete the stack's volumes and their data.")
    var volumes = false

    @Argument(help: ArgumentHelp("Manifests naming the stack (or use --stack).", valueName: "path"))
    var paths: [String] = []

    func run() throws {
        let context = RuntimeContext(global)
        let name = try paths.isEmpty ? context.chooseStack(selection.stack) : StackLoading.requireStack(paths).name
        let runtime = context.runtime(for: name)
        context.noteReconciler(runtime.stack, command: "destroy")
        let lock = try context.lock(runtime, command: "vmctl destroy", timeout: locking.lockTimeout)
        defer { withExtendedLifetime(lock) {} }
        let observed: ObservedState
        do { observed = try runtime.observe() } catch {
            Console.err("vmctl: error: \(error)\n")
            throw ExitCode(1)
        }
        // Destroying is applying an empty stack with pruning: the planner orders the teardown. The capacity line
        // compares against the budget the stack was applied with, as apply's did.
        let (host, fallback) = appliedBudget(runtime)
        let empty = Stack(name: name, host: host)
        let plan = Planner.destroy(stack: name, host: host, observed: observed, deleteVolumes: volumes)
        let style = Style.forStandardOutput()
        Console.out(PlanView(style: style).render(plan))
        if let fallback { Console.out(fallback + "\n") }
        if plan.hasChanges {
            let env = ProcessInfo.processInfo.environment
            if !(autoApprove || env["CI"] == "true" || isatty(STDIN_FILENO) != 1) {
                Console.out("\nDestroy these resources? Only 'yes' is accepted: ")
                guard readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else {
                    Console.err("Destroy cancelled; nothing was changed.\n")
                    throw ExitCode(1)
                }
            }
            let executor = Executor(runtime: runtime, options: ApplyOptions(), events: ApplyProgress(style: style, quiet: false))
            let report = executor.apply(plan, desired: empty, observed: observed)
            if report.failures > 0 { throw ExitCode(1) }
        }
        try removeLeftovers(runtime, keepVolumes: !volumes)
        Console.out("Destroyed stack \(name)\(volumes ? "" : "; volumes kept (--volumes deletes them)").\n")
    }

    /// The budget recorded at apply (stack.json); for a stack applied before it was recorded, or whose record cannot
    /// be read, this host's defaults and a line that says so.
    private func appliedBudget(_ runtime: StackRuntime) -> (HostBudget, String?) {
        let defaults = HostBudget.defaults(for: HostProbe.facts())
        let why: String
        do {
            if let record = try runtime.stackRecord() { return (record.host, nil) }
            why = "\(runtime.paths.stackRecord) is missing: the stack was applied by a vmctl that did not record its limits"
        } catch RuntimeError.unreadableState(let file, let reason) {
            why = "\(file) cannot be read (\(reason); the next apply writes it anew)"
        } catch {
            why = "\(error)"
        }
        return (defaults, "Capacity limits: this host's defaults (host.cpus \(defaults.cpus), host.memory \(defaults.memory.approximate), "
                    + "as for a manifest without host), since \(why).")
    }

    /// Runtime files go; the stack folder stays only while it holds volumes (with stack.json, so a later
    /// `destroy --volumes` still knows the stack's limits).
    private func removeLeftovers(_ runtime: StackRuntime, keepVolumes: Bool) throws {
        let manager = FileManager.default
        // The lock file goes too; StackLock re-checks the file after locking, so a waiting vmctl is safe.
        for path in [runtime.paths.vms, runtime.paths.networks, runtime.paths.lockHolder, runtime.paths.lock] where manager.fileExists(atPath: path) {
            try manager.removeItem(atPath: path)
        }
        let volumes = (try? manager.contentsOfDirectory(atPath: runtime.paths.volumes)) ?? []
        // A reconciler's state stays while one runs or the stack is suspended: removing `suspended.json` would resume it
        // (and it would recreate the stack), removing `owner.lock` would let a second reconciler in.
        let reconcile = ReconcilePaths(stateDirectory: runtime.stateDirectory, stack: runtime.stack)
        let keepReconcile = ReconcilerLease.holder(reconcile) != nil || SuspendState.read(reconcile) != nil
        if !keepVolumes || volumes.isEmpty {
            if manager.fileExists(atPath: runtime.paths.volumes) { try manager.removeItem(atPath: runtime.paths.volumes) }
            if keepReconcile {
                for entry in (try? manager.contentsOfDirectory(atPath: runtime.paths.root)) ?? [] where entry != "reconcile" {
                    try manager.removeItem(atPath: runtime.paths.root + "/" + entry)
                }
            } else {
                try manager.removeItem(atPath: runtime.paths.root)
            }
        }
    }
}
