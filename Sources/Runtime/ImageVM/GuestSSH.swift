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
            return .failed("cloud-init reported \(status ?? "an error"): \(detail(output))")
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

    /// The `detail:` and `errors:` parts of `cloud-init status --long`, on one line: everything after such a key
    /// up to the next top-level `key:` line.
    static func detail(_ output: String) -> String {
        let wanted: Set<String> = ["detail", "errors", "recoverable_errors"]
        var parts: [String] = []
        var taking = false
        for raw in output.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if let key = topLevelKey(raw) {
                taking = wanted.contains(key)
                let rest = line.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces)
                if taking, !rest.isEmpty, rest != "[]", rest != "{}" { parts.append(rest) }
            } else if taking, !line.isEmpty {
                parts.append(line)
            }
        }
        return parts.isEmpty ? "see /var/log/cloud-init.log in the guest" : parts.joined(separator: " ")
    }

    /// `status` in "status: done"; nil for continuation lines (indented, or not starting with a lowercase key).
    private static func topLevelKey(_ line: Substring) -> String? {
        guard let colon = line.firstIndex(of: ":") else { return nil }
        let key = line[..<colon]
        guard !key.isEmpty, key.allSatisfy({ $0.isLowercase || $0 == "_" }) else { return nil }
        return String(key)
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
