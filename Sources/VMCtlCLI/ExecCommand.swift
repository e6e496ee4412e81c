import ArgumentParser
import Foundation
import Runtime

struct ExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command in a VM through its guest agent and return its output and exit status.",
        discussion: "Only the default guest has the agent. Output is binary-safe. The exit status of vmctl is the command's (124 when it timed out). Example: vmctl exec web -- cat /etc/hosts. Interactive sessions (-it) are not implemented yet; use vmctl console.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: StackSelection

    @Option(help: ArgumentHelp("How long the command may run.", valueName: "duration"))
    var timeout: Duration = .seconds(60)

    @Flag(help: "Send vmctl's standard input to the command.")
    var stdin = false

    @Argument(help: ArgumentHelp("The VM.", valueName: "vm"))
    var vm: String

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The command and its arguments (after --).", valueName: "command"))
    var command: [String] = []

    func validate() throws {
        guard !command.filter({ $0 != "--" }).isEmpty else { throw ValidationError("give the command to run after --, e.g. vmctl exec web -- uname -a") }
    }

    func run() throws {
        let context = RuntimeContext(global)
        let runtime = context.runtime(for: try context.chooseStack(selection.stack))
        guard let record = (try? runtime.records())?[vm] else { throw UsageError(message: "VM '\(vm)': no such VM in stack '\(runtime.stack)'") }
        if record.backend == .kvm {
            Console.err("vmctl: error: VM '\(vm)': exec failed: vmctl exec is not available on the kvm backend yet (vmctl-vmm has no guest agent port)\n")
            throw ExitCode(1)
        }
        let argv = command.first == "--" ? Array(command.dropFirst()) : command
        let script = argv.map(Self.quote).joined(separator: " ")
        let input = stdin ? FileHandle.standardInput.readDataToEndOfFile() : Data()
        let result: GuestAgentClient.Result
        do {
            result = try GuestAgentClient(socketPath: runtime.paths.vm(vm).agentSocket, vm: vm).exec(script: script, stdin: input, timeout: timeout)
        } catch {
            Console.err("vmctl: error: \(error)\n")
            throw ExitCode(1)
        }
        FileHandle.standardOutput.write(result.stdout)
        FileHandle.standardError.write(result.stderr)
        if result.timedOut {
            Console.err("vmctl: error: VM '\(vm)': the command ran longer than \(timeout) and was ended\n")
            throw ExitCode(124)
        }
        if result.exitStatus != 0 { throw ExitCode(result.exitStatus) }
    }

    /// Single-quotes an argument for the guest's sh, so spaces and metacharacters arrive as typed.
    static func quote(_ argument: String) -> String {
        "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
