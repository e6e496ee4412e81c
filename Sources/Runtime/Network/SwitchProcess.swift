import Foundation

/// Starts, checks and stops the `vmctl-switch` process of an isolated network.
enum SwitchProcess {
    /// The switch binary sits beside vmctl (same build or install folder).
    static func binary() throws -> String {
        let own = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let candidate = URL(fileURLWithPath: own).deletingLastPathComponent().appendingPathComponent("vmctl-switch").path
        guard FileManager.default.isExecutableFile(atPath: candidate) else {
            throw RuntimeError.missingTool(tool: candidate, package: "vmctl (build it: swift build --product vmctl-switch)")
        }
        return candidate
    }

    static func start(_ paths: NetworkPaths, name: String) throws {
        if isRunning(paths) { return }
        try AtomicFile.makeDirectory(paths.directory)
        let argv = [try binary(), "--socket", paths.socket, "--stats", paths.stats]
        _ = try VMProcess.launch(argv, paths: paths.process) { .network(name: name, operation: $0, reason: $1) }
        // The switch listens before it serves: wait for the socket so the first VM can connect.
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            if FileManager.default.fileExists(atPath: paths.socket) { return }
            Thread.sleep(forTimeInterval: 0.01)
        }
        throw RuntimeError.network(name: name, operation: "start switch", reason: VMProcess.lastLines(of: paths.process.vmmLog))
    }

    static func pid(_ paths: NetworkPaths) -> Int32? {
        guard let text = try? String(contentsOfFile: paths.process.pid, encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func isRunning(_ paths: NetworkPaths) -> Bool {
        guard let pid = pid(paths) else { return false }
        return VMProcess.isOurs(pid: pid, startTime: nil, paths: paths.process)
    }

    static func stop(_ paths: NetworkPaths) {
        guard let pid = pid(paths), VMProcess.isOurs(pid: pid, startTime: nil, paths: paths.process) else { return }
        kill(pid, SIGTERM)
        if !VMProcess.waitForExit(pid: pid, startTime: nil, paths: paths.process, timeout: .seconds(2)) { kill(pid, SIGKILL) }
        // The wrapper writes `exit` after the switch ends: let it finish, so removing the folder or starting
        // a new switch does not race with it.
        let deadline = ContinuousClock.now + .seconds(1)
        while !FileManager.default.fileExists(atPath: paths.process.exit), ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        VMProcess.endAll(referencing: paths.process)
    }
}
