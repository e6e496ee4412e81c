import ArgumentParser

public struct VMCtlCommand: ParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "vmctl",
        abstract: "Declarative VMs: describe a stack in YAML, and vmctl makes the host match.",
        version: version,
        subcommands: [ValidateCommand.self, PlanCommand.self, SchemaCommand.self])

    public init() {}
}
