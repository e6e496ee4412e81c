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

/// `validate`'s formats: GitHub Actions annotations fit diagnostics only, so the other commands keep human and json.
enum ValidateOutputFormat: String, ExpressibleByArgument, CaseIterable {
    case human
    case json
    case github
}

struct ValidateOutputOptions: ParsableArguments {
    @Option(name: [.short, .customLong("output")], help: "Output format: human, json, or github (GitHub Actions annotations).")
    var output: ValidateOutputFormat = .human
}
