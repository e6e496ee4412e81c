import Foundation
@testable import Runtime

/// The guest agent's request handling (`GuestInit.agentScript` from its helpers to `serve`) run on the host by
/// the static busybox the guest runs, with a unix socket standing in for the virtio-serial port: each
/// connection gets one agent that serves it as the guest's agent would serve one vmctl.
///
/// With `port: .terminal` the agent's port is the slave of a fresh pseudo-terminal, as /dev/hvc0 is on the kvm
/// backend, and a thread relays between the connection and the master. The relay passes the client's bytes on
/// only once the agent has put the terminal in raw mode without echo (or after 5 s), so a test sees what the
/// agent's own settings do, not a race with them.
final class HostAgent: @unchecked Sendable {
    enum Port { case socket, terminal }

    let folder: String
    let port: Port
    var socketPath: String { folder + "/agent.sock" }
    private let listener: Int32
    private let done = DispatchSemaphore(value: 0)
    private let settingsLock = NSLock()
    private var lastSettings: termios?

    /// The terminal port's settings when the relay first passed the client's bytes on (`.terminal` only).
    var terminalSettings: termios? { settingsLock.withLock { lastSettings } }

    static let applets = ["sh", "setsid", "telnetd", "stty", "sleep", "touch", "kill", "rm", "chmod", "cat", "base64",
                          "printf", "echo", "od"]

    init(port: Port = .socket) throws {
        self.port = port
        folder = try GuestTestSupport.temporaryFolder("agent")
        try FileManager.default.createDirectory(atPath: folder + "/bin", withIntermediateDirectories: true)
        for applet in Self.applets {
            try FileManager.default.createSymbolicLink(atPath: folder + "/bin/" + applet, withDestinationPath: GuestTestSupport.busybox)
        }
        // fd 3 is the port, as in the guest. The second `serve` sends a TTY session's end marker.
        let harness = "exec 3<&0 < /dev/null\n" + (try Self.requestHandling(runFolder: folder)) + "\nserve\nserve\n"
        try harness.write(toFile: folder + "/agent", atomically: true, encoding: .utf8)
        listener = try Self.listen(at: folder + "/agent.sock")
        let thread = Thread { [self] in serveConnections() }
        thread.start()
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))   // wakes accept(2)
        done.wait()
        close(listener)
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// The agent script from its helpers through `serve`, with its files in `runFolder` instead of /run.
    static func requestHandling(runFolder: String) throws -> String {
        let script = GuestInit.agentScript
        guard let start = script.range(of: "b64() {"), let end = script.range(of: "# Reads end (EOF)") else {
            throw HostAgentError("the agent script no longer has the parts this harness runs (b64 … serve)")
        }
        return String(script[start.lowerBound..<end.lowerBound]).replacingOccurrences(of: "/run/", with: runFolder + "/")
    }

    private func serveConnections() {
        defer { done.signal() }
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { if errno == EINTR { continue } else { return } }
            defer { close(connection) }
            switch port {
            case .socket:
                guard let pid = spawnAgent(port: connection) else { continue }
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            case .terminal:
                serveOnTerminal(connection)
            }
        }
    }

    /// One agent on a pseudo-terminal's slave; the connection relayed to the master until the client closes.
    /// Then the master closes (a hang-up hvc0 never sees, used here only to end the agent).
    private func serveOnTerminal(_ connection: Int32) {
        var master: Int32 = -1
        var slave: Int32 = -1
        guard openpty(&master, &slave, nil, nil, nil) == 0 else { return }
        guard let pid = spawnAgent(port: slave) else { close(master); close(slave); return }
        close(slave)
        relay(connection, master)
        close(master)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    private func relay(_ connection: Int32, _ master: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        var fds = [pollfd(fd: connection, events: Int16(POLLIN), revents: 0), pollfd(fd: master, events: Int16(POLLIN), revents: 0)]
        var agentReady = false
        let readyBy = ContinuousClock.now + .seconds(5)
        while true {
            if !agentReady {
                var settings = termios()
                agentReady = (tcgetattr(master, &settings) == 0 && settings.c_lflag & tcflag_t(ECHO | ICANON) == 0)
                    || ContinuousClock.now > readyBy
                if agentReady { settingsLock.withLock { lastSettings = settings } }
            }
            fds[0].events = agentReady ? Int16(POLLIN) : 0
            guard poll(&fds, 2, agentReady ? -1 : 10) >= 0 || errno == EINTR else { return }
            if fds[1].revents != 0 {
                let count = read(master, &buffer, buffer.count)
                if count > 0 { _ = send(connection, buffer, count, Int32(MSG_NOSIGNAL)) } else { fds[1].fd = -1 }
            }
            if fds[0].revents != 0 {
                let count = recv(connection, &buffer, buffer.count, 0)
                guard count > 0 else { return }
                _ = write(master, buffer, count)
            }
        }
    }

    /// posix_spawn rather than Process: the agent must start as init starts it in the guest, with no signal
    /// blocked (a test thread blocks most, and ash's `wait` would never see SIGCHLD) and no descriptor of
    /// this process but the port (holding the client's end of the socket, it would never read EOF).
    private func spawnAgent(port: Int32) -> pid_t? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, port, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let open = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }
        for fd in open where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var all = sigset_t()
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let arguments = [GuestTestSupport.busybox, "sh", folder + "/agent"]
        let environment = ["PATH=" + folder + "/bin", "HOME=" + folder]
        var argv = arguments.map { strdup($0) } + [nil]
        var envp = environment.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        return posix_spawn(&pid, GuestTestSupport.busybox, &actions, &attributes, &argv, &envp) == 0 ? pid : nil
    }

    private static func listen(at path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard fd >= 0, bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw HostAgentError("cannot make a socket at \(path)") }
        // Sound: the path, checked shorter than sun_path above, is copied into the zeroed sun_path array.
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let bound = withUnsafePointer(to: &address) {
            // Sound: sockaddr_un is layout-compatible with the sockaddr header bind(2) reads.
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, 4) == 0 else {
            close(fd)
            throw HostAgentError("cannot listen on \(path): \(String(cString: strerror(errno)))")
        }
        return fd
    }
}

struct HostAgentError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
