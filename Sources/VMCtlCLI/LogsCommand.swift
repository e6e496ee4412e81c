import ArgumentParser
import Foundation
import Runtime

struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print a VM's console log; -f follows it.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: StackSelection

    @Flag(name: .shortAndLong, help: "Keep printing new output until interrupted.")
    var follow = false

    @Argument(help: ArgumentHelp("The VM.", valueName: "vm"))
    var vm: String

    func run() throws {
        let context = RuntimeContext(global)
        let runtime = context.runtime(for: try context.chooseStack(selection.stack))
        let path = runtime.paths.vm(vm).consoleLog
        guard FileManager.default.fileExists(atPath: runtime.paths.vm(vm).directory) else {
            throw UsageError(message: "VM '\(vm)': no such VM in stack '\(runtime.stack)'")
        }
        var offset: UInt64 = 0
        repeat {
            if let handle = FileHandle(forReadingAtPath: path) {
                try? handle.seek(toOffset: offset)
                let data = (try? handle.readToEnd()) ?? Data()
                try? handle.close()
                offset += UInt64(data.count)
                if !data.isEmpty { FileHandle.standardOutput.write(data) }
            }
            if follow { Thread.sleep(forTimeInterval: 0.2) }
        } while follow
    }
}
