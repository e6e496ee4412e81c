import Foundation

/// The Debian 12 cloud image the image-VM tests boot: `VMCTL_TEST_DEBIAN_IMAGE`, else what scripts/debian-image
/// prints (it builds the image once per machine, cached by its recipe, as root). A failure to get one fails the
/// test: CI builds it, so a skip would hide a broken builder.
enum DebianTestImage {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static func path() throws -> String {
        if let given = ProcessInfo.processInfo.environment["VMCTL_TEST_DEBIAN_IMAGE"], !given.isEmpty { return given }
        let out = try run("/bin/bash", [repository + "/scripts/debian-image"])
        guard out.status == 0, let path = out.stdout.split(separator: "\n").last.map(String.init), FileManager.default.fileExists(atPath: path) else {
            throw E2EFailure("scripts/debian-image failed (exit \(out.status)): \(out.stderr.suffix(2000))")
        }
        return path
    }

    static func sha256(_ file: String) throws -> String {
        let out = try run("/usr/bin/sha256sum", [file])
        guard out.status == 0, let digest = out.stdout.split(separator: " ").first else { throw E2EFailure("sha256sum \(file): \(out.stderr)") }
        return String(digest)
    }

    /// A copy that shares blocks where the filesystem can (the bytes, and so the digest, are the same).
    static func copy(_ source: String, to target: String) throws {
        let out = try run("/bin/cp", ["--reflink=auto", "--sparse=always", source, target])
        guard out.status == 0 else { throw E2EFailure("cp: \(out.stderr)") }
    }

    /// A loopback TCP port free now (the kernel's choice).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { throw E2EFailure("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// GET http://127.0.0.1:PORT/ from the host, through Python's client (on every test host: setup installs it).
    static func httpGet(port: Int) throws -> String {
        let script = "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:\(port)/', timeout=20).read().decode(), end='')"
        let out = try run("/usr/bin/python3", ["-c", script])
        guard out.status == 0 else { throw E2EFailure("GET 127.0.0.1:\(port): \(out.stderr.suffix(500))") }
        return out.stdout
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("vmctl-run-\(UUID().uuidString)")
        let err = out.appendingPathExtension("err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out); try? FileManager.default.removeItem(at: err) }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOf: out, encoding: .utf8)) ?? "", (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }
}

/// An sshd with a host key of its own on a loopback port: what a man in the middle at a VM's address would be.
/// Started with posix_spawn, not Foundation's Process: on Linux a long-running Process child keeps Foundation from
/// reaping the test's other children (a later `waitUntilExit` hangs).
final class ImpostorSSHD {
    private var pid: pid_t = 0

    init(port: Int, folder: String) throws {
        let key = folder + "/impostor_host_key"
        unlink(key)
        _ = try DebianTestImage.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key])
        try? FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        let config = folder + "/impostor_sshd_config"
        try """
            Port \(port)
            ListenAddress 127.0.0.1
            HostKey \(key)
            PidFile none
            UsePAM no
            StrictModes no

            """.write(toFile: config, atomically: true, encoding: .utf8)
        let words: [String] = ["/usr/sbin/sshd", "-D", "-e", "-f", config]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let spawned = posix_spawn(&pid, "/usr/sbin/sshd", &actions, nil, argv, environ)
        guard spawned == 0 else { throw E2EFailure("cannot start /usr/sbin/sshd (install openssh-server): \(String(cString: strerror(spawned)))") }
        // Listening once a connection is accepted.
        for _ in 0..<100 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            close(fd)
            if connected { return }
            usleep(50_000)
        }
        stop()
        throw E2EFailure("the impostor sshd did not listen on 127.0.0.1:\(port)")
    }

    func stop() {
        guard pid > 0 else { return }
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        pid = 0
    }
}
