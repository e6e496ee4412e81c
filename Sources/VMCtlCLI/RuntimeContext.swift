import ArgumentParser
import Foundation
import Reconciler
import Runtime
import VMCtlModel

/// Builds the runtime for a stack from the global options, and picks the stack when none is named.
struct RuntimeContext {
    let stateDirectory: StateDirectory

    init(_ global: GlobalOptions) {
        stateDirectory = StateDirectory.resolve(flag: global.stateDir, env: ProcessInfo.processInfo.environment)
    }

    func runtime(for stack: String) -> StackRuntime {
        StackRuntime(stateDirectory: stateDirectory, stack: stack, guests: DefaultGuestProvider(stateDirectory: stateDirectory))
    }

    /// Stacks with state on this host (their folders), sorted by name.
    func stacks() -> [String] {
        let folder = stateDirectory.path + "/stacks"
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { name in
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: folder + "/" + name, isDirectory: &isFolder) && isFolder.boolValue
        }.sorted()
    }

    /// The named stack, or the only one there is.
    func chooseStack(_ named: String?) throws -> String {
        if let named {
            // The name becomes a folder under the state folder: `--stack ../..` must never reach outside it.
            if let problem = ResourceName.problem(with: named) { throw UsageError(message: "--stack '\(named)' \(problem)") }
            return named
        }
        let stacks = stacks()
        if stacks.count == 1 { return stacks[0] }
        if stacks.isEmpty { throw UsageError(message: "no stacks in \(stateDirectory.path); name one with --stack or give a manifest") }
        throw UsageError(message: "several stacks exist (\(stacks.joined(separator: ", "))); name one with --stack")
    }

    /// A manual change to a stack a reconciler manages lasts only until its next pass: say so before making it.
    func noteReconciler(_ stack: String, command: String) {
        let paths = ReconcilePaths(stateDirectory: stateDirectory, stack: stack)
        guard let owner = ReconcilerLease.holder(paths) else { return }
        let suspended = SuspendState.read(paths) != nil
        Console.err("vmctl: note: stack '\(stack)' is managed by vmctl reconcile (pid \(owner.pid), source \(owner.source))"
                    + (suspended ? ", suspended: your \(command) stays until 'vmctl reconcile resume'.\n"
                                 : ": what your \(command) changes that its source does not say is undone at its next pass; 'vmctl reconcile suspend --stack \(stack)' first to keep it.\n"))
    }

    func lock(_ runtime: StackRuntime, command: String, timeout: Duration) throws -> StackLock {
        do {
            return try StackLock(paths: runtime.paths, stack: runtime.stack, command: command, timeout: timeout)
        } catch let error as RuntimeError {
            Console.err("vmctl: error: \(error)\n")
            throw ExitCode(1)
        }
    }
}

extension Duration: @retroactive ExpressibleByArgument {
    public init?(argument: String) {
        if argument == "0" { self = .zero; return }
        guard case .success(let duration) = VMCtlModelDuration.parse(argument) else { return nil }
        self = duration
    }
}
