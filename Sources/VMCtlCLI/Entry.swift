import ArgumentParser
import Foundation

/// Runs vmctl with documented exit codes: 0 success, 1 failure (invalid input, failed action), 2 usage error.
public enum VMCtlMain {
    public static func run(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Int32 {
        do {
            var command = try VMCtlCommand.parseAsRoot(arguments)
            try command.run()
            return 0
        } catch let exit as ExitCode {
            return exit.rawValue
        } catch let usage as UsageError {
            Console.err("vmctl: error: \(usage.message)\n")
            return 2
        } catch {
            let code = VMCtlCommand.exitCode(for: error)
            let message = VMCtlCommand.fullMessage(for: error)
            if code == .success {
                Console.out(message.isEmpty ? "" : message + "\n")
                return 0
            }
            if !message.isEmpty { Console.err(message + "\n") }
            // ArgumentParser uses 64 (EX_USAGE) for bad arguments; vmctl documents 2.
            return code == .validationFailure ? 2 : code.rawValue
        }
    }
}
