import ArgumentParser
import Foundation
import Runtime

/// `vmctl ssh VM [-- COMMAND…]`: the system ssh as vmctl's user, with the stack's key and the VM's pinned host key.
struct SSHToVMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ssh",
        abstract: "Log in to an image VM with SSH, or run a command there.",
        discussion: """
            Runs the system ssh as the user vmctl, with the stack's key, through the VM's forwarded loopback port \
            (any network mode, no root networking needed). The VM's host key is the one vmctl generated and gave \
            it: ssh checks it strictly and refuses a different one. Example: vmctl ssh db -- sudo journalctl -u \
            postgresql. ssh joins the command's words with spaces for the guest's shell, as ssh always does.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: StackSelection

    @Argument(help: ArgumentHelp("The VM.", valueName: "vm"))
    var vm: String

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp("The command and its arguments (after --).", valueName: "command"))
    var command: [String] = []

    func run() throws {
        let context = RuntimeContext(global)
        let runtime = context.runtime(for: try context.chooseStack(selection.stack))
        let argv = command.first == "--" ? Array(command.dropFirst()) : command
        let arguments: [String]
        do {
            // Interactive use asks nothing either: vmctl's key has no passphrase and the host key is pinned.
            arguments = try runtime.sshCommand(for: vm, batchMode: true, forceTTY: argv.isEmpty && isatty(STDIN_FILENO) == 1).arguments(argv)
        } catch {
            Console.err("vmctl: error: \(error)\n")
            throw ExitCode(1)
        }
        // Become ssh: its exit status, signals and terminal handling are the user's directly.
        let cArgs = arguments.map { strdup($0) } + [nil]
        execv("/usr/bin/ssh", cArgs)
        Console.err("vmctl: error: cannot run /usr/bin/ssh: \(String(cString: strerror(errno))) (install openssh-client)\n")
        throw ExitCode(1)
    }
}
