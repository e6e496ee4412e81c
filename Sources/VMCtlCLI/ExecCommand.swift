import ArgumentParser
import Foundation
import Provisioning
import Runtime

struct ExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a command in a VM (guest agent, or SSH for image VMs): its output and exit status, or an interactive session (-it).",
        discussion: """
            The default guest runs vmctl's agent; image VMs are reached through SSH as the user vmctl (as with \
            vmctl ssh), where an exit status of 255 means SSH itself failed. Output is binary-safe. The exit status of vmctl is the \
            command's; a command still running after --timeout is ended and vmctl exits 124. Example: vmctl exec \
            web -- cat /etc/hosts.

            With -it the command (default: sh -l) runs on a pseudo-terminal in the guest, attached to this \
            terminal, with no time limit: vmctl exec -it web. Ctrl-] detaches, which hangs up the command (vmctl \
            exits 129). -t alone shows a command's terminal output without sending it input. -t needs a \
            terminal on standard input.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: StackSelection

    @Option(help: ArgumentHelp("How long the command may run (not with -t).", valueName: "duration"))
    var timeout: Duration = .seconds(60)

    @Flag(name: [.customShort("i"), .long], help: "Send vmctl's standard input to the command (with -t: as it is typed).")
    var stdin = false

    @Flag(name: [.customShort("t"), .long], help: "Run the command on a pseudo-terminal in the guest.")
    var tty = false

    @Argument(help: ArgumentHelp("The VM.", valueName: "vm"))
    var vm: String

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The command and its arguments (after --).", valueName: "command"))
    var command: [String] = []

    /// The command without the `--` that separates it from vmctl's options.
    var argv: [String] { command.first == "--" ? Array(command.dropFirst()) : command }

    func validate() throws {
        guard tty || !argv.isEmpty else { throw ValidationError("give the command to run after --, e.g. vmctl exec web -- uname -a (or vmctl exec -it web for a shell)") }
    }

    func run() throws {
        // Checked before anything else: a pseudo-terminal session needs a terminal to attach to.
        if tty, isatty(STDIN_FILENO) != 1 {
            throw UsageError(message: "-t needs a terminal on standard input, and it is a pipe or a file here; run vmctl exec -it from a terminal, or leave out -t")
        }
        let context = RuntimeContext(global)
        let runtime = context.runtime(for: try context.chooseStack(selection.stack))
        let scan = runtime.scanRecords()
        if let damaged = scan.damaged[vm] {
            Console.err("vmctl: error: VM '\(vm)': exec failed: cannot read its state file \(damaged.file): \(damaged.reason)\n    hint: \(damaged.advice(stack: runtime.stack))\n")
            throw ExitCode(1)
        }
        guard let record = scan.records[vm] else { throw UsageError(message: "VM '\(vm)': no such VM in stack '\(runtime.stack)'") }
        if record.spec.image != nil {
            // Image VMs have no vmctl agent: their commands go through SSH as the user vmctl.
            try runThroughSSH(runtime)
            return
        }
        let agentSocket = runtime.paths.vm(vm).agentSocket
        if record.backend == .kvm, !FileManager.default.fileExists(atPath: agentSocket) {
            // A vmctl-vmm from before agent sockets serves none: only a restart gives the VM one.
            Console.err("vmctl: error: VM '\(vm)': exec failed: no agent socket at \(agentSocket): the VM is not running, or its vmctl-vmm predates agent sockets (vmctl restart \(vm) gives it one)\n")
            throw ExitCode(1)
        }
        let client = GuestAgentClient(socketPath: agentSocket, vm: vm)
        if tty { try runOnTerminal(client) } else { try runToCompletion(client) }
    }

    private func runToCompletion(_ client: GuestAgentClient) throws {
        let script = argv.map(Self.quote).joined(separator: " ")
        let input = stdin ? FileHandle.standardInput.readDataToEndOfFile() : Data()
        let result: GuestAgentClient.Result
        do {
            result = try client.exec(script: script, stdin: input, timeout: timeout)
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

    /// Image VMs: `ssh … -- sh -c SCRIPT` with the same quoting, exit status and timeout as the agent.
    private func runThroughSSH(_ runtime: StackRuntime) throws {
        let ssh: SSHCommand
        do { ssh = try runtime.sshCommand(for: vm, forceTTY: tty) } catch {
            Console.err("vmctl: error: \(error)\n")
            throw ExitCode(1)
        }
        let script = argv.isEmpty ? "" : argv.map(Self.quote).joined(separator: " ")
        if tty {
            let cArgs = ssh.arguments(script.isEmpty ? [] : [script]).map { strdup($0) } + [nil]
            execv("/usr/bin/ssh", cArgs)
            Console.err("vmctl: error: cannot run /usr/bin/ssh: \(String(cString: strerror(errno)))\n")
            throw ExitCode(1)
        }
        let input = stdin ? FileHandle.standardInput.readDataToEndOfFile() : Data()
        let result = GuestSSH.run(ssh, [script], input: input, timeout: timeout)
        FileHandle.standardOutput.write(result.stdout)
        FileHandle.standardError.write(result.stderr)
        if result.timedOut {
            Console.err("vmctl: error: VM '\(vm)': the command ran longer than \(timeout) and was ended\n")
            throw ExitCode(124)
        }
        if result.status == 255 {
            Console.err("vmctl: error: VM '\(vm)': exec failed: SSH could not reach the guest (exit 255); is it running and ready? vmctl status shows it\n")
            throw ExitCode(1)
        }
        if result.status != 0 { throw ExitCode(result.status) }
    }

    /// Single-quotes an argument for the guest's sh, so spaces and metacharacters arrive as typed.
    static func quote(_ argument: String) -> String {
        "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
