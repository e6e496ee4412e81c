import ArgumentParser
import Foundation
import Manifest
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
    static func requireStack(_ paths: [String]) throws -> Stack {
        let (stack, result) = try load(paths)
        Console.err(DiagnosticsView.human(result.diagnostics))
        guard let stack else { throw ExitCode(1) }
        return stack
    }
}
