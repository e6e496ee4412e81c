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

            Without --host the verdict depends on the manifests alone, so it is the same on a laptop, in CI and on the target host: capacity is checked only against host.cpus and host.memory where the manifest states them. --host adds the checks against this machine that plan and apply make: host.cpus, host.memory and each VM's cpus against its CPUs and RAM, forwarded host ports already taken, and that every file the manifests name exists.

            \(PathOptions.discussion)

            -o github prints one GitHub Actions workflow command per problem (::error file=…,line=…,col=…::…), which the runner shows as annotations on the pull request.

            Exit status: 0 valid, 1 invalid, 2 usage error.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var format: ValidateOutputOptions
    @OptionGroup var confinement: PathOptions

    @Flag(help: "Also check against this host: its CPUs and RAM, forwarded ports in use, and that named files exist.")
    var host = false

    @Argument(help: ArgumentHelp("Manifest files or folders; - reads standard input.", valueName: "path"))
    var paths: [String] = []

    func validate() throws {
        guard !paths.isEmpty else { throw ValidationError("name at least one manifest file or folder (or - for standard input)") }
    }

    func run() throws {
        let sources = try StackLoading.sources(paths)
        var result = ManifestLoader.load(sources, env: ProcessInfo.processInfo.environment, host: host ? HostProbe.facts() : nil)
        if host {
            HostPathCheck.requireExisting(in: &result)
            StackLoading.addPortConflicts(to: &result, stateDirectory: RuntimeContext(global).stateDirectory)
        }
        if let policy = confinement.policy(for: sources) { PathConfinement.apply(policy, to: &result) }
        switch format.output {
        case .json:
            Console.out(DiagnosticsView.json(valid: result.isValid, result.diagnostics))
        case .github:
            Console.out(GitHubAnnotations.render(result.diagnostics))
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
