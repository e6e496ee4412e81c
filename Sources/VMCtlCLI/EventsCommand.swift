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
        log.read().forEach(print)
        guard follow else { return }
        // Follows the file by offset and inode, as tail -F does: polling a small file twice a second is simpler than
        // inotify and fast enough for a person watching. After a rotation the rest of the old file is in `.1`.
        var (inode, offset) = Self.identity(log.path)
        while true {
            Thread.sleep(forTimeInterval: 0.5)
            let (nowInode, size) = Self.identity(log.path)
            if nowInode != inode {
                if Self.identity(log.path + ".1").inode == inode { printLines(of: log.path + ".1", from: &offset) }
                (inode, offset) = (nowInode, 0)
            }
            if size > offset { printLines(of: log.path, from: &offset) }
        }
    }

    private static func identity(_ path: String) -> (inode: UInt64, size: UInt64) {
        var info = stat()
        guard stat(path, &info) == 0 else { return (0, 0) }
        return (UInt64(info.st_ino), UInt64(info.st_size))
    }

    /// Prints the whole lines after `offset` and moves it past them; a line still being written waits for the next look.
    private func printLines(of path: String, from offset: inout UInt64) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        let data = (try? handle.readToEnd()) ?? Data()
        guard let end = data.lastIndex(of: 0x0A) else { return }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        for line in data[..<end].split(separator: 0x0A) {
            if let event = try? decoder.decode(ReconcileEvent.self, from: Data(line)) { print(event) }
        }
        offset += UInt64(end - data.startIndex + 1)
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
