import ArgumentParser
import Foundation
import Manifest
import Runtime
import VMCtlModel

/// Reads and validates the manifests a command names; on failure prints the diagnostics and exits 1.
enum StackLoading {
    static func load(_ paths: [String]) throws -> (stack: Stack?, result: ManifestResult) {
        let sources: [ManifestSource]
        do { sources = try SourceReader.read(paths) } catch let error as SourceReader.InputError {
            throw UsageError(message: error.description)
        }
        let result = ManifestLoader.load(sources, env: ProcessInfo.processInfo.environment, host: HostProbe.facts())
        return (result.isValid ? result.stack : nil, result)
    }

    /// For commands that need a valid stack: diagnostics go to stderr, and an invalid stack ends the command.
    /// With `host`, checks against this host's state are added (forwarded ports already taken).
    static func requireStack(_ paths: [String], host: StateDirectory? = nil) throws -> Stack {
        var (stack, result) = try load(paths)
        if let host, let loaded = stack {
            let problems = PortConflicts.check(loaded, stateDirectory: host)
            for problem in problems {
                if let diagnostic = result.diagnostic(vm: problem.vm, field: "ports[\(problem.index)]", problem.message, hint: problem.hint) {
                    result.diagnostics.append(diagnostic)
                }
            }
            if !problems.isEmpty { stack = nil }
        }
        Console.err(DiagnosticsView.human(result.diagnostics))
        guard let stack else { throw ExitCode(1) }
        return stack
    }
}
