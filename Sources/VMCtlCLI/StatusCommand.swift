import ArgumentParser
import Foundation
import Manifest
import Planner
import Runtime
import VMCtlModel

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the VMs of a stack as they really are, read live from their processes.",
        discussion: """
            With manifests, VMs whose running spec differs from them are marked as drifted (*) and VMs the manifest lacks are listed. Without, --stack names the stack; with neither, every stack on the host is shown, one table per stack (-o json: the only stack's object, or an array of them when there are none or several; see schemas/status.v1.json).

            A VM whose state file (vm.json) cannot be read is shown as unknown, with the file and why.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var format: OutputOptions
    @OptionGroup var selection: StackSelection

    @Flag(help: "Also show why each VM runs on its backend (auto: kvm or qemu, and why).")
    var wide = false

    @Argument(help: ArgumentHelp("Manifest files or folders, to show drift against.", valueName: "path"))
    var paths: [String] = []

    func run() throws {
        let desired = paths.isEmpty ? nil : try StackLoading.requireStack(paths)
        let context = RuntimeContext(global)
        if let name = try desired?.name ?? selection.stack.map(context.chooseStack) {
            guard let report = read(context.runtime(for: name), desired: desired) else { throw ExitCode(1) }
            render(report)
            return
        }
        // No stack named: the host-wide view, like `virsh list --all`.
        let stacks = context.stacks()
        if stacks.count == 1 {
            // One stack: one object, as before (the contract of schemas/status.v1.json for one stack).
            guard let report = read(context.runtime(for: stacks[0]), desired: nil) else { throw ExitCode(1) }
            render(report)
            return
        }
        var reports: [StatusReport] = []
        var failed = false
        for name in stacks {
            // An unreadable stack is reported and the others are still shown.
            if let report = read(context.runtime(for: name), desired: nil) { reports.append(report) } else { failed = true }
        }
        switch format.output {
        case .json: Console.out(reports.isEmpty ? "[]\n" : PlanJSON.encode(reports))
        case .human:
            if stacks.isEmpty {
                Console.out("No stacks on this host (state folder \(context.stateDirectory.path)); vmctl apply MANIFEST creates one.\n")
            }
            let style = Style.forStandardOutput()
            Console.out(reports.map { $0.table(style: style, wide: wide) }.joined(separator: "\n"))
        }
        if failed { throw ExitCode(1) }
    }

    /// The stack's report, or nil after saying on standard error why it cannot be read.
    private func read(_ runtime: StackRuntime, desired: Stack?) -> StatusReport? {
        do { return try StatusReport.read(runtime, desired: desired) } catch {
            Console.err("vmctl: error: stack '\(runtime.stack)': \(error)\n")
            return nil
        }
    }

    private func render(_ report: StatusReport) {
        switch format.output {
        case .json: Console.out(PlanJSON.encode(report))
        case .human: Console.out(report.table(style: .forStandardOutput(), wide: wide))
        }
    }
}

enum VMDriftCheck {
    /// Any field difference, ignoring the definition-level `replicas` and `name`.
    static func differs(_ running: VMSpec, _ wanted: VMSpec) -> Bool {
        var a = running, b = wanted
        a.replicas = nil; b.replicas = nil
        a.name = ""; b.name = ""
        return a != b
    }
}
