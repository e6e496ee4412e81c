import ArgumentParser
import Foundation
import Runtime
import VMCtlModel

/// `vmctl start|stop|restart|reset|pause|resume VM...`: one power action on named VMs of a stack.
struct VMPowerOptions: ParsableArguments {
    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: StackSelection
    @OptionGroup var locking: LockOptions

    @Argument(help: ArgumentHelp("VM names (replicas by their full name, e.g. web-0).", valueName: "vm"))
    var vms: [String] = []

    func validate() throws {
        guard !vms.isEmpty else { throw ValidationError("name at least one VM") }
    }

    /// Runs `action` on each VM under the stack lock; reports each result; exits 1 if any failed. A VM whose state
    /// file cannot be read gets `damaged` where the verb can act without it (stop), else an error naming the file.
    func each(_ verb: String, damaged: ((StackRuntime, DamagedVM) throws -> String)? = nil,
              _ action: (StackRuntime, String) throws -> String) throws {
        let context = RuntimeContext(global)
        let runtime = context.runtime(for: try context.chooseStack(selection.stack))
        let lock = try context.lock(runtime, command: "vmctl \(verb) \(vms.joined(separator: " "))", timeout: locking.lockTimeout)
        defer { withExtendedLifetime(lock) {} }
        let scan = runtime.scanRecords()
        let known = scan.records
        var failed = false
        for vm in vms {
            if let broken = scan.damaged[vm] {
                do {
                    guard let damaged else {
                        Console.err("vmctl: error: VM '\(vm)': \(verb) failed: cannot read its state file \(broken.file): \(broken.reason)\n"
                                    + "    hint: \(broken.advice(stack: runtime.stack))\n")
                        failed = true
                        continue
                    }
                    Console.out("\(vm): \(try damaged(runtime, broken))\n")
                    Console.err("vmctl: warning: VM '\(vm)': its state file \(broken.file) cannot be read (\(broken.reason)) and is left as it is\n"
                                + "    hint: \(DamagedVM(name: vm, file: broken.file, reason: broken.reason).advice(stack: runtime.stack))\n")
                } catch {
                    Console.err("vmctl: error: \(error)\n")
                    failed = true
                }
                continue
            }
            guard known[vm] != nil else {
                Console.err("vmctl: error: VM '\(vm)': \(verb) failed: no such VM in stack '\(runtime.stack)'\(known.isEmpty ? "" : " (VMs: \(known.keys.sorted().joined(separator: ", ")))")\n")
                failed = true
                continue
            }
            do {
                let result = try action(runtime, vm)
                Console.out("\(vm): \(result)\n")
            } catch {
                Console.err("vmctl: error: \(error)\n")
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}

struct StartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start stopped or crashed VMs with their applied spec.")
    @OptionGroup var options: VMPowerOptions
    func run() throws {
        try options.each("start") { runtime, vm in
            guard let record = runtime.records()[vm] else { return "no such VM" }
            if runtime.inspect(record).state.holdsResources { return "already running" }
            try runtime.start(vm, spec: record.spec)
            return "running"
        }
    }
}

struct StopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop", abstract: "Stop VMs: ACPI power-off, then end the VMM after --timeout.",
        discussion: "A VM with runStrategy Always is started again by the next apply; set runStrategy: Halted to keep it stopped.")
    @OptionGroup var options: VMPowerOptions
    @Option(help: ArgumentHelp("How long the guest may take to power off.", valueName: "duration"))
    var timeout: Duration = .seconds(30)
    func run() throws {
        // A VM whose state file cannot be read is stopped too: its VMM is found by the wrapper's pid file.
        try options.each("stop", damaged: { runtime, vm in "stopped (\(try runtime.stop(vm.name, timeout: timeout).rawValue))" }) { runtime, vm in
            "stopped (\(try runtime.stop(vm, timeout: timeout).rawValue))"
        }
    }
}

struct RestartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "restart", abstract: "Stop (gracefully if possible) and start VMs.")
    @OptionGroup var options: VMPowerOptions
    @Option(help: ArgumentHelp("How long the guest may take to power off.", valueName: "duration"))
    var timeout: Duration = .seconds(30)
    func run() throws {
        try options.each("restart") { runtime, vm in
            guard let spec = runtime.records()[vm]?.spec else { return "no such VM" }
            let outcome = try runtime.stop(vm, timeout: timeout)
            try runtime.start(vm, spec: spec)
            return "restarted (stop \(outcome.rawValue))"
        }
    }
}

struct ResetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reset", abstract: "Hard-reset VMs (like the reset button) and wait until they are ready.")
    @OptionGroup var options: VMPowerOptions
    func run() throws {
        try options.each("reset") { runtime, vm in
            try runtime.reset(vm)
            return "reset"
        }
    }
}

struct PauseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Freeze VMs' vCPUs; memory stays allocated.")
    @OptionGroup var options: VMPowerOptions
    func run() throws {
        try options.each("pause") { runtime, vm in
            try runtime.pause(vm)
            return "paused"
        }
    }
}

struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Resume paused VMs.")
    @OptionGroup var options: VMPowerOptions
    func run() throws {
        try options.each("resume") { runtime, vm in
            try runtime.resume(vm)
            return "running"
        }
    }
}
