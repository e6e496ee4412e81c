import ArgumentParser

public struct VMCtlCommand: ParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "vmctl",
        abstract: "Declarative VMs: describe a stack in YAML, and vmctl makes the host match.",
        version: version,
        subcommands: [ValidateCommand.self, PlanCommand.self, ApplyCommand.self, StatusCommand.self,
                      StartCommand.self, StopCommand.self, RestartCommand.self, ResetCommand.self, PauseCommand.self,
                      ResumeCommand.self, DestroyCommand.self, LogsCommand.self, ConsoleCommand.self, ExecCommand.self, SSHToVMCommand.self, SchemaCommand.self, GuestCommand.self, ImageCommand.self,
                      ReconcileCommand.self, EventsCommand.self])

    public init() {}
}
