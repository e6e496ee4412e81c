import ArgumentParser
import Foundation
import Manifest
import Runtime
import VMCtlModel

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check manifests and report every problem with its file, line, column and field.",
        discussion: """
            PATH is a file, a folder (its *.yaml and *.yml files, in name order) or - for standard input. All inputs together form one stack.

            Exit status: 0 valid, 1 invalid, 2 usage error.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var format: OutputOptions

    @Argument(help: ArgumentHelp("Manifest files or folders; - reads standard input.", valueName: "path"))
    var paths: [String] = []

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("name at least one manifest file or folder (or - for standard input)") }
    }

    func run() throws {
        let sources: [ManifestSource]
        do { sources = try SourceReader.read(paths) } catch let error as SourceReader.InputError {
            throw UsageError(message: error.description)
        }
        let result = ManifestLoader.load(sources, env: ProcessInfo.processInfo.environment, host: HostProbe.facts())
        switch format.output {
        case .json:
            Console.out(DiagnosticsView.json(valid: result.isValid, result.diagnostics))
        case .human:
            Console.err(DiagnosticsView.human(result.diagnostics))
            if let stack = result.stack, result.isValid {
                Console.out(summary(stack, inputs: paths))
            }
        }
        if !result.isValid { throw ExitCode(1) }
    }

    private func summary(_ stack: Stack, inputs: [String]) -> String {
        let vms = stack.instances.count
        let vcpus = stack.instances.reduce(0) { $0 + $1.spec.cpus }
        let memory = stack.instances.reduce(UInt64(0)) { $0 + $1.spec.memory.bytes }
        return "\(inputs.joined(separator: " ")): valid — stack '\(stack.name)': \(vms) VM\(vms == 1 ? "" : "s") "
            + "(\(vcpus) vCPU\(vcpus == 1 ? "" : "s"), \(ByteSize(bytes: memory).approximate)), "
            + "\(stack.networks.count) network\(stack.networks.count == 1 ? "" : "s"), "
            + "\(stack.volumes.count) volume\(stack.volumes.count == 1 ? "" : "s")\n"
    }
}

/// A problem with how vmctl was called (exit status 2), as opposed to a problem in the manifests (1).
struct UsageError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
