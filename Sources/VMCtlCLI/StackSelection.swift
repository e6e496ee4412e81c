import ArgumentParser

/// `--stack NAME` for commands that act on an existing stack without reading its manifest.
struct StackSelection: ParsableArguments {
    @Option(name: .customLong("stack"), help: ArgumentHelp("The stack to act on (default: the only stack on this host).", valueName: "name"))
    var stack: String?
}

struct LockOptions: ParsableArguments {
    @Option(name: .customLong("lock-timeout"), help: ArgumentHelp("How long to wait for another vmctl working on the stack (default 0: fail at once).", valueName: "duration"))
    var lockTimeout: Duration = .zero
}
