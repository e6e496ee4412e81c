// vmctl-switch: the userspace L2 switch of one isolated network. One process per network, started detached
// by the runtime. Usage: vmctl-switch --socket PATH [--stats PATH]
import Glibc
import NetSwitch

/// Writes a message to standard error (fd 2) without touching C's shared FILE state.
func complain(_ message: String) {
    let bytes = Array((message + "\n").utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
}

/// Parses the arguments and runs the switch until it is killed; the exit status of the process.
func runSwitch() -> Int32 {
    var socketPath: String?
    var statsPath: String?
    var arguments = CommandLine.arguments.dropFirst().makeIterator()
    while let argument = arguments.next() {
        switch argument {
        case "--socket": socketPath = arguments.next()
        case "--stats": statsPath = arguments.next()
        case "--version": print("vmctl-switch 0.1.0"); return 0
        default:
            complain("vmctl-switch: unknown argument '\(argument)'\nusage: vmctl-switch --socket PATH [--stats PATH]")
            return 2
        }
    }
    guard let socketPath else {
        complain("vmctl-switch: --socket PATH is required")
        return 2
    }
    signal(SIGPIPE, SIG_IGN)
    do {
        try SwitchServer(socketPath: socketPath, statsPath: statsPath).run()
    } catch {
        complain("vmctl-switch: \(error)")
        return 1
    }
    return 0
}

exit(runSwitch())
