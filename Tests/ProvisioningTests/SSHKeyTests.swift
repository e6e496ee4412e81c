import Foundation
import Synchronization
import Testing
@testable import Provisioning

/// Stack and host keys made with the real ssh-keygen: 0600, generated once, reused, repaired.
@Suite(.enabled(if: SystemCommandRunner.locate("ssh-keygen") != nil, "ssh-keygen is not installed (apt-get install openssh-client)"))
struct SSHKeyTests {
    /// The system runner, counting the key generations it is asked for.
    final class CountingRunner: CommandRunning {
        let generations = Mutex(0)
        func run(_ tool: String, _ arguments: [String], package: String, directory: String?) throws -> CommandResult {
            if arguments.contains("-t") { generations.withLock { $0 += 1 } }
            return try SystemCommandRunner().run(tool, arguments, package: package, directory: directory)
        }
    }

    static func mode(_ path: String) -> mode_t {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o7777 : 0
    }

    @Test func theStackKeyIsGeneratedOnceAndReused() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { Fixtures.remove(folder) }
        let runner = CountingRunner()
        let keygen = SSHKeygen(runner: runner)
        let key = try StackSSHKey.ensure(in: folder + "/stacks/shop/ssh", stack: "shop", keygen: keygen)
        #expect(key.privateKeyPath == folder + "/stacks/shop/ssh/id_ed25519")
        #expect(Self.mode(folder + "/stacks/shop/ssh") == 0o700)
        #expect(Self.mode(key.privateKeyPath) == 0o600)
        #expect(key.publicKey.hasPrefix("ssh-ed25519 AAAA") && key.publicKey.hasSuffix(" vmctl@shop"))
        #expect(Fixtures.read(key.privateKeyPath + ".pub") == key.publicKey + "\n")
        let privateText = Fixtures.read(key.privateKeyPath)
        #expect(privateText?.hasPrefix("-----BEGIN OPENSSH PRIVATE KEY-----") == true)

        let again = try StackSSHKey.ensure(in: folder + "/stacks/shop/ssh", stack: "shop", keygen: keygen)
        #expect(again == key)
        #expect(Fixtures.read(key.privateKeyPath) == privateText)
        #expect(runner.generations.withLock { $0 } == 1, "the second call generated a new key")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder + "/stacks/shop/ssh").sorted()
        #expect(files == ["id_ed25519", "id_ed25519.pub"], "no temporary files left: \(files)")
    }

    @Test func aKeptKeyIsRepaired() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { Fixtures.remove(folder) }
        let key = try HostKey.ensure(in: folder, stack: "shop", vm: "web")
        #expect(key.privateKeyPath == folder + "/ssh_host_ed25519_key")
        #expect(key.keyPair.publicKey.hasSuffix(" vmctl host key shop/web"))
        #expect(key.keyPair.privateKey == Fixtures.read(key.privateKeyPath))

        chmod(key.privateKeyPath, 0o644)
        unlink(key.privateKeyPath + ".pub")
        let repaired = try HostKey.ensure(in: folder, stack: "shop", vm: "web")
        #expect(Self.mode(key.privateKeyPath) == 0o600, "a widened mode is tightened (ssh refuses such keys)")
        #expect(KeyPairFiles.keyFields(repaired.keyPair.publicKey) == KeyPairFiles.keyFields(key.keyPair.publicKey))
        #expect(Fixtures.read(key.privateKeyPath + ".pub").map { KeyPairFiles.keyFields($0) } == KeyPairFiles.keyFields(key.keyPair.publicKey))

        try Fixtures.write("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAcf9avBfOLA0DVXlVCqFAbBjHMZmrGkurwF2r6r1mc someone else\n", to: key.privateKeyPath + ".pub")
        let fixed = try HostKey.ensure(in: folder, stack: "shop", vm: "web")
        #expect(KeyPairFiles.keyFields(fixed.keyPair.publicKey) == KeyPairFiles.keyFields(key.keyPair.publicKey),
                "the public key always comes from the private one")
    }

    @Test func anUnusableKeyIsNamed() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { Fixtures.remove(folder) }
        try Fixtures.write("not a key\n", to: folder + "/" + HostKey.fileName)
        chmod(folder + "/" + HostKey.fileName, 0o600)
        let error = #expect(throws: ProvisioningError.self) { try HostKey.ensure(in: folder, stack: "shop", vm: "web") }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.hasPrefix("the key \(folder)/ssh_host_ed25519_key cannot be used: ssh-keygen cannot read it"), "\(message)")

        let rsa = folder + "/rsa"
        try FileManager.default.createDirectory(atPath: rsa, withIntermediateDirectories: true)
        let made = try Fixtures.run([try #require(SystemCommandRunner.locate("ssh-keygen")), "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", rsa + "/" + StackSSHKey.fileName])
        try #require(made.status == 0, "\(made.output)")
        let rsaError = #expect(throws: ProvisioningError.self) { try StackSSHKey.ensure(in: rsa, stack: "shop") }
        #expect(rsaError.map { "\($0)" }?.contains("it is not an ed25519 key") == true, "\(String(describing: rsaError))")
    }

    @Test func knownHostsPinsTheKeyUnderTheAlias() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { Fixtures.remove(folder) }
        #expect(KnownHosts.alias(stack: "shop", vm: "web") == "vmctl.shop.web")
        let path = folder + "/" + KnownHosts.fileName
        try KnownHosts.write(alias: "vmctl.shop.web", publicKey: Fixtures.hostKey.publicKey, to: path)
        #expect(Fixtures.read(path) == "vmctl.shop.web ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIESVuKwZ29eWPQ0l/Vo/x9VzO4BUS3pJUHuUD2Nk9f7\n")
        #expect(Self.mode(path) == 0o644)
        #expect(throws: ProvisioningError.self) { try KnownHosts.write(alias: "a", publicKey: "garbage", to: path) }
    }
}

@Suite struct SSHCommandTests {
    @Test func theArgumentVector() {
        let command = SSHCommand(privateKeyPath: "/var/lib/vmctl/stacks/shop/ssh/id_ed25519", port: 42022,
                                 knownHostsPath: "/var/lib/vmctl/stacks/shop/vms/web/known_hosts", hostKeyAlias: "vmctl.shop.web")
        #expect(command.arguments(["systemctl", "is-system-running"]) == [
            "ssh", "-i", "/var/lib/vmctl/stacks/shop/ssh/id_ed25519", "-p", "42022",
            "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "StrictHostKeyChecking=yes",
            "-o", "UserKnownHostsFile=/var/lib/vmctl/stacks/shop/vms/web/known_hosts", "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "HostKeyAlias=vmctl.shop.web", "-o", "CheckHostIP=no", "-o", "UpdateHostKeys=no", "-o", "BatchMode=yes",
            "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10",
            "vmctl@127.0.0.1", "--", "systemctl", "is-system-running",
        ])
        var interactive = command
        interactive.forceTTY = true
        interactive.batchMode = false
        let argv = interactive.arguments()
        #expect(argv.suffix(2) == ["-t", "vmctl@127.0.0.1"])
        #expect(argv.contains("BatchMode=no"))
    }

    @Test func aKnownHostsPathWithSpacesIsQuoted() {
        let argv = SSHCommand(privateKeyPath: "/k", port: 1, knownHostsPath: "/my state/known_hosts", hostKeyAlias: "a").arguments()
        #expect(argv.contains("UserKnownHostsFile=\"/my state/known_hosts\""))
    }
}
