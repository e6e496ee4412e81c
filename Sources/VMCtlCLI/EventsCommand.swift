import ArgumentParser
import Foundation
import Reconciler
import Runtime

struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Print what the reconciler did and saw: applies, refusals, VM exits and restarts, reboots.",
        discussion: """
            Events are kept per stack in <state>/stacks/STACK/reconcile/events.jsonl (rotated at 1 MiB); -o json prints them as they are stored, one JSON object per line. -f waits for new ones until interrupted.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var format: OutputOptions
    @OptionGroup var selection: StackSelection

    @Flag(name: [.short, .customLong("follow")], help: "Keep printing new events as they come.")
    var follow = false

    func run() throws {
        let context = RuntimeContext(global)
        let stack = try context.chooseStack(selection.stack)
        let log = EventLog(path: ReconcilePaths(stateDirectory: context.stateDirectory, stack: stack).events)
        var shown = log.read()
        shown.forEach(print)
        guard follow else { return }
        // Polling the small file is simpler than inotify and fast enough for a human watching.
        while true {
            Thread.sleep(forTimeInterval: 0.5)
            let all = log.read()
            // After a rotation the old lines move to the .1 file: skip what was printed already by content.
            let fresh = all.drop { event in shown.contains(event) }
            fresh.forEach(print)
            shown = Array(all.suffix(1000))
        }
    }

    private func print(_ event: ReconcileEvent) {
        switch format.output {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            if let data = try? encoder.encode(event) { Console.out(String(decoding: data, as: UTF8.self) + "\n") }
        case .human:
            let time = ISO8601DateFormatter().string(from: event.time)
            let vm = event.vm.map { " vm/\($0)" } ?? ""
            Console.out("\(time)  \(event.type.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0))  \(event.reason)\(vm): \(event.message)\n")
        }
    }
}
