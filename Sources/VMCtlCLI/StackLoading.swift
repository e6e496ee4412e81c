import ArgumentParser
import Foundation
import Manifest
import Runtime
import VMCtlModel

/// Reads and validates the manifests a command names; on failure prints the diagnostics and exits 1.
enum StackLoading {
    static func sources(_ paths: [String]) throws -> [ManifestSource] {
        do { return try SourceReader.read(paths) } catch let error as SourceReader.InputError {
            throw UsageError(message: error.description)
        }
    }

    /// `host` nil checks the manifests alone (`vmctl validate`); commands that act on this host pass its facts.
    static func load(_ paths: [String], host: HostFacts?, confinement: PathOptions? = nil) throws -> ManifestResult {
        let sources = try sources(paths)
        var result = ManifestLoader.load(sources, env: ProcessInfo.processInfo.environment, host: host)
        if let policy = confinement?.policy(for: sources) { PathConfinement.apply(policy, to: &result) }
        return result
    }

    /// Forwarded host ports already taken on this host (by another VM or program), at the `ports` entries.
    static func addPortConflicts(to result: inout ManifestResult, stateDirectory: StateDirectory) {
        guard let stack = result.stack, result.isValid else { return }
        let problems = PortConflicts.check(stack, stateDirectory: stateDirectory)
        for problem in problems {
            if let diagnostic = result.diagnostic(vm: problem.vm, field: "ports[\(problem.index)]", problem.message, hint: problem.hint) {
                result.diagnostics.append(diagnostic)
            }
        }
        if !problems.isEmpty {
            result.diagnostics.sort()
            result.stack = nil
        }
    }

    /// For commands that need a valid stack for this host: diagnostics go to stderr, and an invalid stack ends the command.
    /// With `host`, checks against this host's state are added (forwarded ports already taken).
    static func requireStack(_ paths: [String], host: StateDirectory? = nil, confinement: PathOptions? = nil) throws -> Stack {
        var result = try load(paths, host: HostProbe.facts(), confinement: confinement)
        if let host { addPortConflicts(to: &result, stateDirectory: host) }
        Console.err(DiagnosticsView.human(result.diagnostics))
        guard let stack = result.stack, result.isValid else { throw ExitCode(1) }
        return stack
    }
}
