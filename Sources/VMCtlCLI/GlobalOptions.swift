import ArgumentParser

/// Options every command accepts, so scripts can pass them uniformly.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("state-dir"), help: ArgumentHelp("Folder for vmctl's state (env VMCTL_STATE_DIR).", valueName: "dir"))
    var stateDir: String?

    /// The state folder in effect: the flag, else VMCTL_STATE_DIR, else nil (the runtime picks its default).
    func resolvedStateDir(env: [String: String]) -> String? {
        stateDir ?? env["VMCTL_STATE_DIR"].flatMap { $0.isEmpty ? nil : $0 }
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case human
    case json
}

struct OutputOptions: ParsableArguments {
    @Option(name: [.short, .customLong("output")], help: "Output format: human or json.")
    var output: OutputFormat = .human
}
