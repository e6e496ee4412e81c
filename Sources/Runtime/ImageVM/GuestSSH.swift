import Foundation
import Provisioning

/// Runs the system `ssh` against an image VM and reads what came back.
public enum GuestSSH {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: Data
        public var stderr: Data
        public var timedOut: Bool
    }

    public enum Readiness: Equatable {
        case ready
        /// SSH answered and something is wrong for good: cloud-init failed, or the host key is not the pinned one.
        case failed(String)
        /// Not yet: sshd not up, the user not made yet, cloud-init still running past the wait.
        case notYet(String)
    }

    /// Runs `ssh … -- command` with no standard input, ending it after `timeout`.
    public static func run(_ ssh: SSHCommand, _ command: [String], input: Data = Data(), timeout: Duration) -> Result {
        let argv = ssh.arguments(command)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ssh")
        process.arguments = Array(argv.dropFirst())
        let out = Pipe(), err = Pipe(), inPipe = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = inPipe
        do { try process.run() } catch {
            return Result(status: 255, stdout: Data(), stderr: Data("cannot run /usr/bin/ssh: \(error) (install openssh-client)".utf8), timedOut: false)
        }
        if !input.isEmpty { try? inPipe.fileHandleForWriting.write(contentsOf: input) }
        try? inPipe.fileHandleForWriting.close()
        // Read both pipes while the process runs, so a full pipe never blocks it.
        let collected = Collected()
        let group = DispatchGroup()
        for (handle, isOut) in [(out.fileHandleForReading, true), (err.fileHandleForReading, false)] {
            group.enter()
            DispatchQueue.global().async {
                let data = handle.readDataToEndOfFile()
                collected.set(data, isOut: isOut)
                group.leave()
            }
        }
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        var timedOut = false
        if group.wait(timeout: .now() + max(0.1, seconds)) == .timedOut {
            timedOut = true
            process.terminate()
            _ = group.wait(timeout: .now() + 5)
        }
        process.waitUntilExit()
        let (stdout, stderr) = collected.get()
        return Result(status: process.terminationStatus, stdout: stdout, stderr: stderr, timedOut: timedOut)
    }

    /// What `cloud-init status --wait --long` over SSH says about readiness.
    public static func readiness(of result: Result) -> Readiness {
        let output = String(decoding: result.stdout, as: UTF8.self)
        let errors = String(decoding: result.stderr, as: UTF8.self)
        if errors.contains("Host key verification failed") || errors.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") {
            return .failed("the SSH host key at the VM's address is not the one vmctl gave the VM: refusing to trust it (\(firstLine(errors)))")
        }
        if result.timedOut { return .notYet("cloud-init still running") }
        let status = statusLine(output)
        if result.status == 0, status == "done" { return .ready }
        if status == "error" || status == "degraded done" || status == "degraded" {
            return .failed("cloud-init reported \(status): \(detail(output))")
        }
        if result.status == 255 { return .notYet(errors.isEmpty ? "SSH did not answer" : "SSH: \(firstLine(errors))") }
        return .notYet(status.map { "cloud-init status: \($0)" } ?? "cloud-init status exited \(result.status): \(firstLine(errors + output))")
    }

    static func statusLine(_ output: String) -> String? {
        for line in output.split(separator: "\n") where line.hasPrefix("status:") {
            return line.dropFirst("status:".count).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    /// The `detail:` and `errors:` parts of `cloud-init status --long`, on one line.
    static func detail(_ output: String) -> String {
        let lines = output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        var parts: [String] = []
        var take = false
        for line in lines {
            if line.hasPrefix("detail:") || line.hasPrefix("errors:") || line.hasPrefix("recoverable_errors:") {
                take = true
                let rest = line.split(separator: ":", maxSplits: 1).dropFirst().first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
                if !rest.isEmpty, rest != "[]", rest != "{}" { parts.append(rest) }
            } else if take, !line.isEmpty, !line.contains(": ") || line.hasPrefix("-") {
                parts.append(line)
            } else {
                take = false
            }
        }
        return parts.isEmpty ? "see /var/log/cloud-init.log in the guest" : parts.joined(separator: " ")
    }

    static func firstLine(_ text: String) -> String {
        text.split(separator: "\n").first.map { String($0).trimmingCharacters(in: .whitespaces) } ?? ""
    }
}

private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var out = Data(), err = Data()
    func set(_ data: Data, isOut: Bool) { lock.withLock { if isOut { out = data } else { err = data } } }
    func get() -> (Data, Data) { lock.withLock { (out, err) } }
}
