import Foundation
import Testing
import VMCtlModel
@testable import Provisioning

/// Requests, keys and helpers shared by the Provisioning tests.
///
/// Goldens live in Golden/<case>/ (meta-data, user-data, network-config). To regenerate them after an intended
/// change, run `VMCTL_UPDATE_GOLDEN=1 swift test --filter ProvisioningTests`, then review `git diff`.
enum Fixtures {
    static let updatingGoldens = ProcessInfo.processInfo.environment["VMCTL_UPDATE_GOLDEN"] == "1"
    static let goldenFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden").path

    /// A real ed25519 pair made for these tests only (ssh-keygen -t ed25519 -C "vmctl host key shop/web").
    static let hostKey = SSHKeyPair(privateKey: """
        -----BEGIN OPENSSH PRIVATE KEY-----
        b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
        QyNTUxOQAAACCBElbisGdvXlj0NJf1aP8fVczuAVEt6SVB7lA9jZPX+wAAAKA0VFOlNFRT
        pQAAAAtzc2gtZWQyNTUxOQAAACCBElbisGdvXlj0NJf1aP8fVczuAVEt6SVB7lA9jZPX+w
        AAAEDo3FZrg4AgZf+z7R0AG0rggiTJrxdLZc88voxgv9P+PYESVuKwZ29eWPQ0l/Vo/x9V
        zO4BUS3pJUHuUD2Nk9f7AAAAF3ZtY3RsIGhvc3Qga2V5IHNob3Avd2ViAQIDBAUG
        -----END OPENSSH PRIVATE KEY-----

        """, publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIESVuKwZ29eWPQ0l/Vo/x9VzO4BUS3pJUHuUD2Nk9f7 vmctl host key shop/web")
    static let stackKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAcf9avBfOLA0DVXlVCqFAbBjHMZmrGkurwF2r6r1mc vmctl@shop"
    static let aliceKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDBBZDI/8W04hTKCuRSIQKuhNJMhcKqjhu2RKSqWbJ/j alice@laptop"

    static func mac(_ text: String) -> MACAddress {
        guard let mac = MACAddress(text) else { preconditionFailure("bad MAC in a fixture: \(text)") }
        return mac
    }

    static func ip(_ text: String) -> IPv4Address {
        guard let address = IPv4Address(text) else { preconditionFailure("bad address in a fixture: \(text)") }
        return address
    }

    /// The management NIC on QEMU's user network: static, no gateway.
    static let managementNIC = SeedRequest.NIC(mac: mac("52:54:00:6d:00:01"), address: ip("10.0.2.15"), prefixLength: 24)

    /// No cloudInit at all: one isolated network and the management NIC, nobody else on the network.
    static var minimal: SeedRequest {
        SeedRequest(stack: "shop", vm: "web", cloudInit: nil,
                    nics: [.init(mac: mac("52:54:00:12:34:56"), address: ip("10.10.0.2"), prefixLength: 24), managementNIC],
                    hosts: [], authorizedKey: stackKey, hostKey: hostKey)
    }

    /// Every manifest field: users, files (one owned by a new user), commands; two stack NICs, one with the
    /// default route; hosts given out of order.
    static var full: SeedRequest {
        var request = SeedRequest(
            stack: "shop", vm: "web",
            cloudInit: CloudInitSpec(
                users: [CloudInitUser(name: "alice", sudo: true, sshAuthorizedKeys: [aliceKey], shell: "/bin/zsh", groups: ["adm", "docker"]),
                        CloudInitUser(name: "deploy")],
                writeFiles: [CloudInitFile(path: "/etc/motd", content: "Welcome to web.\nManaged by vmctl.\n", permissions: "0644"),
                             CloudInitFile(path: "/home/alice/.profile.d/yes", content: "yes", permissions: "0600", owner: "alice:alice")],
                runcmd: ["systemctl enable --now nginx", "echo 'done: yes' > /run/provisioned"]),
            nics: [.init(mac: mac("52:54:00:12:34:56"), address: ip("10.10.0.2"), prefixLength: 24, gateway: ip("10.10.0.1")),
                   .init(mac: mac("52:54:00:AB:CD:EF"), address: ip("192.168.50.7"), prefixLength: 28),
                   managementNIC],
            hosts: [.init(name: "db", address: ip("10.10.0.3")), .init(name: "cache", address: ip("192.168.50.8")),
                    .init(name: "cache", address: ip("10.10.0.4"))],
            authorizedKey: stackKey, hostKey: hostKey)
        request.mounts = [.init(device: "/dev/vdb", mountPoint: "/var/lib/data", readOnly: false),
                          .init(device: "/dev/vdc", mountPoint: "/srv/assets", readOnly: true)]
        return request
    }

    /// `full`'s fields plus a userData file (Golden/merged/userdata.yaml).
    static var merged: SeedRequest {
        var request = full
        request.cloudInit?.userData = goldenFolder + "/merged/userdata.yaml"
        return request
    }

    static let cases: [(name: String, request: SeedRequest)] = [("minimal", minimal), ("full", full), ("merged", merged)]

    /// A fresh folder under /tmp, removed by the caller (`defer { remove(folder) }`).
    static func temporaryFolder(_ name: String = "vmctl-provisioning") throws -> String {
        let path = NSTemporaryDirectory() + "\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func remove(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

    static func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    static func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    /// Runs a command, returning its status and output (stdout then stderr).
    @discardableResult
    static func run(_ argv: [String], directory: String? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let file = try temporaryFolder("vmctl-run") + "/output"
        defer { remove((file as NSString).deletingLastPathComponent) }
        FileManager.default.createFile(atPath: file, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, read(file) ?? "")
    }

    static func installed(_ path: String) -> Bool { FileManager.default.isExecutableFile(atPath: path) }

    /// Debian's python3 with the cloudinit package (a pyenv python3 on PATH does not have it).
    static let systemPython = "/usr/bin/python3"
    static let hasCloudInit = installed("/usr/bin/cloud-init")
        && FileManager.default.fileExists(atPath: "/usr/lib/python3/dist-packages/cloudinit/__init__.py")
}
