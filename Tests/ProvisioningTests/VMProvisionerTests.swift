import Foundation
import Testing
@testable import Provisioning

/// The runtime's path end to end with the real tools: files in the VM's folder, and an unchanged VM keeping its
/// instance-id across prepares (its host key is reused, so the seed is the same).
@Suite(.enabled(if: SystemCommandRunner.locate("ssh-keygen") != nil && SystemCommandRunner.locate("genisoimage") != nil
                    && SystemCommandRunner.locate("isoinfo") != nil,
                "needs ssh-keygen, genisoimage and isoinfo (apt-get install openssh-client genisoimage)"))
struct VMProvisionerTests {
    @Test func prepareWritesTheVMsFilesAndKeepsItsInstanceID() throws {
        let state = try Fixtures.temporaryFolder()
        defer { Fixtures.remove(state) }
        let provisioner = VMProvisioner()
        let stackKey = try provisioner.stackKey(in: state + "/stacks/shop/ssh", stack: "shop")
        let vmFolder = state + "/stacks/shop/vms/web"
        let request = Fixtures.full
        func prepare() throws -> PreparedVM {
            try provisioner.prepare(vmFolder: vmFolder, stack: "shop", vm: "web", cloudInit: request.cloudInit,
                                    nics: request.nics, hosts: request.hosts, stackKey: stackKey)
        }
        let first = try prepare()
        #expect(first.seedPath == vmFolder + "/seed.iso")
        #expect(first.knownHostsPath == vmFolder + "/known_hosts")
        #expect(first.hostKeyAlias == "vmctl.shop.web")
        #expect(first.hostKey.privateKeyPath == vmFolder + "/ssh_host_ed25519_key")
        #expect(Fixtures.read(first.knownHostsPath) == KnownHosts.line(alias: "vmctl.shop.web", publicKey: first.hostKey.keyPair.publicKey) + "\n")
        let files = try FileManager.default.contentsOfDirectory(atPath: vmFolder).sorted()
        #expect(files == ["known_hosts", "seed.iso", "ssh_host_ed25519_key", "ssh_host_ed25519_key.pub"])
        let isoinfo = try #require(SystemCommandRunner.locate("isoinfo"))
        let metaData = try Fixtures.run([isoinfo, "-R", "-i", first.seedPath, "-x", "/meta-data"])
        #expect(metaData.output == "instance-id: \(first.instanceID)\nlocal-hostname: web\n")
        let userData = try Fixtures.run([isoinfo, "-R", "-i", first.seedPath, "-x", "/user-data"]).output
        #expect(userData.contains(stackKey.publicKey) && userData.contains(first.hostKey.keyPair.publicKey))

        let second = try prepare()
        #expect(second.instanceID == first.instanceID, "an unchanged VM is not provisioned again")
        #expect(second.hostKey == first.hostKey)
        let planned = try provisioner.seed(vmFolder: vmFolder, stack: "shop", vm: "web", cloudInit: request.cloudInit,
                                           nics: request.nics, hosts: request.hosts, stackKey: stackKey)
        #expect(planned.seed.instanceID == first.instanceID)

        let argv = second.sshCommand(stackKey: stackKey, port: 2201).arguments()
        #expect(argv.contains("HostKeyAlias=vmctl.shop.web") && argv.contains("UserKnownHostsFile=\(vmFolder)/known_hosts"))
        #expect(argv.last == "vmctl@127.0.0.1")

        var changed = request.cloudInit
        changed?.runcmd.append("touch /run/changed")
        let third = try provisioner.prepare(vmFolder: vmFolder, stack: "shop", vm: "web", cloudInit: changed,
                                            nics: request.nics, hosts: request.hosts, stackKey: stackKey)
        #expect(third.instanceID != first.instanceID)
    }
}
