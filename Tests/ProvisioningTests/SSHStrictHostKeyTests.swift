import Foundation
import Testing
@testable import Provisioning

/// The argv from `SSHCommand` against a real, throwaway sshd on 127.0.0.1: it logs in with the stack key when the
/// server shows the pinned host key, and fails with a host key verification error when a server at the same
/// address and port shows another key (or when nothing is pinned). Needs root (sshd) and openssh-server; the
/// host's own ssh service is never touched (the test runs /usr/sbin/sshd -D with its own config).
@Suite(.enabled(if: getuid() == 0 && Fixtures.installed("/usr/sbin/sshd") && SystemCommandRunner.locate("ssh") != nil,
                "needs root, /usr/sbin/sshd (apt-get install openssh-server) and ssh"))
struct SSHStrictHostKeyTests {
    static let sshd = "/usr/sbin/sshd"

    /// One sshd process in the foreground (-D), logging to a file; stopped and reaped by its pid. Spawned with
    /// posix_spawn, not Foundation's Process: corelibs-foundation's child monitor blocks in wait4() on a
    /// long-running Process child, and then never reaps the ssh clients the test runs meanwhile.
    final class Server {
        let pid: pid_t
        let log: String
        private var reaped = false

        init(folder: String, name: String, port: Int, hostKey: String, authorizedKeys: String) throws {
            let config = folder + "/\(name).sshd_config"
            try Fixtures.write("""
                Port \(port)
                ListenAddress 127.0.0.1
                HostKey \(hostKey)
                AuthorizedKeysFile \(authorizedKeys)
                PidFile none
                UsePAM no
                StrictModes no
                PermitRootLogin prohibit-password
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                LogLevel VERBOSE

                """, to: config)
            log = folder + "/\(name).log"
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
            let argv = [SSHStrictHostKeyTests.sshd, "-D", "-e", "-f", config]
            // strdup'd C strings, NULL-terminated, freed after the spawn copied them.
            let cArguments = argv.map { strdup($0) } + [nil]
            defer { cArguments.forEach { free($0) } }
            var pid: pid_t = 0
            let status = posix_spawn(&pid, SSHStrictHostKeyTests.sshd, &actions, nil, cArguments, environ)
            try #require(status == 0, "posix_spawn sshd: \(String(cString: strerror(status)))")
            self.pid = pid
            try waitForListener(port: port)
        }

        func waitForListener(port: Int) throws {
            for _ in 0..<100 {
                if SSHStrictHostKeyTests.canConnect(port: port) { return }
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid { reaped = true; break }
                usleep(50_000)
            }
            Issue.record("sshd did not listen on 127.0.0.1:\(port): \(Fixtures.read(log) ?? "")")
            stop()
            throw CancellationError()
        }

        func stop() {
            guard !reaped else { return }
            kill(pid, SIGTERM)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            reaped = true
        }

        deinit { stop() }
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        // Binding and reading back a sockaddr_in through the sockaddr pointer the socket calls take.
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        // Connecting with a sockaddr_in through the sockaddr pointer connect takes.
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    static func ssh(_ argv: [String]) throws -> (status: Int32, output: String) {
        try Fixtures.run([try #require(SystemCommandRunner.locate("ssh"))] + argv.dropFirst())
    }

    @Test func thePinnedHostKeyIsCheckedStrictly() throws {
        // sshd refuses to start without its privilege separation folder (made by the package's service).
        if !FileManager.default.fileExists(atPath: "/run/sshd") {
            try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        }
        let server = try Fixtures.temporaryFolder("vmctl-sshd")
        let client = try Fixtures.temporaryFolder("vmctl ssh client")  // a space: the argv must quote known_hosts
        defer {
            Fixtures.remove(server)
            Fixtures.remove(client)
        }
        let stackKey = try StackSSHKey.ensure(in: client + "/ssh", stack: "shop")
        let pinned = try HostKey.ensure(in: server + "/web", stack: "shop", vm: "web")
        let other = try HostKey.ensure(in: server + "/impostor", stack: "shop", vm: "web")
        try Fixtures.write(stackKey.publicKey + "\n", to: server + "/authorized_keys")
        let alias = KnownHosts.alias(stack: "shop", vm: "web")
        let knownHosts = client + "/" + KnownHosts.fileName
        try KnownHosts.write(alias: alias, publicKey: pinned.keyPair.publicKey, to: knownHosts)
        let pinnedText = Fixtures.read(knownHosts)

        let port = try Self.freePort()
        let command = SSHCommand(privateKeyPath: stackKey.privateKeyPath, port: port, knownHostsPath: knownHosts,
                                 hostKeyAlias: alias, user: "root", connectTimeout: 5)

        var genuine: Server? = try Server(folder: server, name: "genuine", port: port, hostKey: pinned.privateKeyPath,
                                          authorizedKeys: server + "/authorized_keys")
        let ok = try Self.ssh(command.arguments(["echo", "ok"]))
        #expect(ok.status == 0 && ok.output == "ok\n", "ssh to the genuine server: \(ok.output)\nsshd: \(genuine.flatMap { Fixtures.read($0.log) } ?? "")")
        let quoted = try Self.ssh(command.arguments(["printf '%s|' a 'b c'"]))
        #expect(quoted.output == "a|b c|", "the remote shell parses the command: \(quoted.output)")

        var unpinned = command
        unpinned.knownHostsPath = client + "/empty_known_hosts"
        try Fixtures.write("", to: unpinned.knownHostsPath)
        let firstUse = try Self.ssh(unpinned.arguments(["echo", "ok"]))
        #expect(firstUse.status == 255 && firstUse.output.contains("Host key verification failed"), "no trust on first use: \(firstUse.output)")
        #expect(Fixtures.read(unpinned.knownHostsPath) == "", "ssh added a key to known_hosts")

        genuine?.stop()
        genuine = nil
        let impostor = try Server(folder: server, name: "impostor", port: port, hostKey: other.privateKeyPath,
                                  authorizedKeys: server + "/authorized_keys")
        defer { impostor.stop() }
        let refused = try Self.ssh(command.arguments(["echo", "ok"]))
        #expect(refused.status == 255, "ssh to a server with another host key: \(refused.output)")
        #expect(refused.output.contains("Host key verification failed"), "\(refused.output)")
        #expect(!refused.output.contains("ok\n"))
        #expect(Fixtures.read(knownHosts) == pinnedText, "known_hosts was changed")
    }
}
