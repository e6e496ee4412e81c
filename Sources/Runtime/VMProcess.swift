import Foundation
import VMCtlModel

/// Launches a VMM detached under a tiny shell wrapper that records the VMM's pid and, when it ends, its
/// exit status. The wrapper runs in its own session, so neither vmctl's exit nor Ctrl-C reaches the VM, and
/// a `kill -9` of the VMM is still seen as a crash with its signal.
enum VMProcess {
    /// Arguments: the VM's folder, how many cgroup.procs files follow, those files, then the VMM's argv. The wrapper
    /// moves itself into the VM's cgroup first, so the VMM is born inside it; failing that, it starts nothing.
    static let wrapper = """
        dir=$1; n=$2; shift 2
        while [ "$n" -gt 0 ]; do
            if ! echo $$ 2>>"$dir/vmm.log" >"$1"; then
                echo "vmctl: cannot join the VM's cgroup ($1)" >>"$dir/vmm.log"
                echo 125 >"$dir/exit.tmp" && mv "$dir/exit.tmp" "$dir/exit"
                exit 125
            fi
            shift; n=$((n-1))
        done
        "$@" </dev/null >>"$dir/vmm.log" 2>&1 &
        child=$!
        echo $child >"$dir/pid.tmp" && mv "$dir/pid.tmp" "$dir/pid"
        wait $child
        echo $? >"$dir/exit.tmp" && mv "$dir/exit.tmp" "$dir/exit"
        """

    /// Starts `argv` detached and waits until its pid is known. Throws when the VMM exits at once; `failure`
    /// names what failed (a VM, or a network for its switch). `cgroupProcs`: the VM's cgroup, joined before the VMM starts.
    static func launch(_ argv: [String], paths: VMPaths, cgroupProcs: [String] = [],
                       failure: (_ operation: String, _ reason: String) -> RuntimeError) throws -> (pid: Int32, startTime: UInt64) {
        for stale in [paths.pid, paths.exit, paths.ready, paths.controlSocket, paths.consoleSocket, paths.agentSocket] { unlink(stale) }
        let setsid = ["/usr/bin/setsid", "/bin/setsid"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let setsid else { throw RuntimeError.missingTool(tool: "setsid", package: "util-linux") }
        let args = [setsid, "-f", "/bin/sh", "-c", wrapper, "vmctl-vm", paths.directory, "\(cgroupProcs.count)"] + cgroupProcs + argv
        var pid: pid_t = 0
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in [0, 1, 2] { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
        closeInheritedDescriptors(&actions)
        // Nor the calling thread's signal mask and ignored signals: a Dispatch worker blocks nearly every
        // signal, and apply ignores SIGINT, so a VMM or switch spawned from there would never see SIGTERM.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t(), allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let cArgs = args.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let result = posix_spawn(&pid, setsid, &actions, &attributes, cArgs, environ)
        guard result == 0 else { throw failure("start", "cannot spawn \(program(argv)): \(String(cString: strerror(result)))") }
        var status: Int32 = 0
        waitpid(pid, &status, 0)   // `setsid -f` forks and returns at once

        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: paths.pid, encoding: .utf8),
               let vmm = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                if let start = ProcessProbe.startTime(of: vmm) { return (vmm, start) }
            }
            // The VMM ended, or the wrapper gave up before starting it (no cgroup to join).
            if FileManager.default.fileExists(atPath: paths.exit) { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        throw failure("start", "\(program(argv)) exited at once: \(lastLines(of: paths.vmmLog))")
    }

    private static func program(_ argv: [String]) -> String { URL(fileURLWithPath: argv.first ?? "?").lastPathComponent }

    /// The VMM must not inherit vmctl's other descriptors: it would hold them for its whole life, so whoever
    /// waits for them to close (a caller reading vmctl's pipes, Foundation's Process watching its child through
    /// a socket pair) would wait until the VM stops.
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        // glibc 2.34+: closes everything from 3 up, with no race against descriptors opened meanwhile.
        if let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np"),
           unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3) == 0 { return }
        // Else close what is open now; a descriptor already closed at spawn time is ignored by posix_spawn.
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            if let fd = Int32(entry), fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        }
    }

    /// Whether `pid` is still this VM's VMM: alive, not a zombie, same start time, and its command line
    /// names the VM's folder (a reused pid fails at least one of these).
    static func isOurs(pid: Int32, startTime: UInt64?, paths: VMPaths) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM, !ProcessProbe.isZombie(pid) else { return false }
        if let startTime, ProcessProbe.startTime(of: pid) != startTime { return false }
        // While vmctl-launch execs the VMM its command line reads empty for a moment; the start time, checked above,
        // already says it is the same process.
        guard let command = ProcessProbe.commandLine(of: pid), !command.isEmpty else { return startTime != nil }
        return command.contains(paths.directory + "/")
    }

    /// The VM's wrappers and VMMs (the processes naming its control socket or launch spec), including any that a killed vmctl
    /// spawned but never recorded. Not a `tail -f` of its console log.
    static func processes(referencing paths: VMPaths) -> [Int32] {
        let wrapper = " vmctl-vm \(paths.directory) "
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
            guard let pid = Int32(entry), pid != getpid(), !ProcessProbe.isZombie(pid),
                  let command = ProcessProbe.commandLine(of: pid),
                  command.contains(wrapper) || command.contains(paths.controlSocket) || command.contains(paths.launchSpec)
                    || command.contains("opaque=\(paths.consoleLog)") else { return nil }   // a confined QEMU: descriptors, no socket paths
            return pid
        }
    }

    /// Ends every process of the VM's folder and waits (up to 5 s) until they are gone.
    static func endAll(referencing paths: VMPaths) {
        let deadline = ContinuousClock.now + .seconds(5)
        var pids = processes(referencing: paths)
        while !pids.isEmpty, ContinuousClock.now < deadline {
            for pid in pids { kill(pid, SIGKILL) }
            Thread.sleep(forTimeInterval: 0.01)
            pids = processes(referencing: paths)
        }
    }

    /// The VMM's pid from the record, else from the wrapper's pid file (vmctl may have died before recording it).
    static func currentPid(_ record: VMRecord, paths: VMPaths) -> (pid: Int32, startTime: UInt64?)? {
        if let pid = record.pid { return (pid, record.processStartTime) }
        guard let text = try? String(contentsOfFile: paths.pid, encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        return (pid, nil)
    }

    /// The state of a VM whose VMM is not running, from the wrapper's exit file.
    static func endedState(paths: VMPaths, launched: Bool) -> VMProcessStatus {
        if let text = try? String(contentsOfFile: paths.exit, encoding: .utf8),
           let code = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            if code == 0 { return VMProcessStatus(state: .stopped) }
            if code > 128 { return VMProcessStatus(state: .crashed, exitStatus: code, signal: code - 128) }
            return VMProcessStatus(state: .crashed, exitStatus: code)
        }
        // Launched, but no exit status: the wrapper itself was killed along with the VMM.
        return VMProcessStatus(state: launched && FileManager.default.fileExists(atPath: paths.pid) ? .crashed : .stopped)
    }

    /// Waits until the process is gone; true if it ended before the deadline.
    static func waitForExit(pid: Int32, startTime: UInt64?, paths: VMPaths, timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if !isOurs(pid: pid, startTime: startTime, paths: paths) { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return !isOurs(pid: pid, startTime: startTime, paths: paths)
    }

    static func lastLines(of path: String, count: Int = 5) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty else { return "(no output)" }
        return text.split(separator: "\n").suffix(count).joined(separator: " | ")
    }

    /// Ends a VM's VMM (SIGKILL) if it runs and removes its folder: the shared part of every backend's destroy.
    static func destroy(_ record: VMRecord, paths: VMPaths) throws {
        if let (pid, startTime) = VMProcess.currentPid(record, paths: paths),
           VMProcess.isOurs(pid: pid, startTime: startTime, paths: paths) {
            kill(pid, SIGKILL)
            _ = VMProcess.waitForExit(pid: pid, startTime: startTime, paths: paths, timeout: .seconds(5))
        }
        try removeFolder(paths, vm: record.name)
    }

    /// Removes a VM's folder once its VMM has ended. The wrapper writes `exit` just after the VMM ends, and may do so
    /// while the folder is being removed (a busy host delays it): try again for a few seconds before calling it a failure.
    static func removeFolder(_ paths: VMPaths, vm: String) throws {
        var lastError: Error?
        for attempt in 0..<40 {
            Thread.sleep(forTimeInterval: attempt == 0 ? 0.05 : 0.1)
            do { try FileManager.default.removeItem(atPath: paths.directory); return } catch { lastError = error }
            if !FileManager.default.fileExists(atPath: paths.directory) { return }
        }
        throw RuntimeError.vm(name: vm, operation: "destroy", reason: "cannot remove \(paths.directory): \(lastError?.localizedDescription ?? "unknown error")")
    }
}
