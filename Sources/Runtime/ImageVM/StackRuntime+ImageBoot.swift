import Foundation
import Images
import Provisioning
import VMCtlModel

/// Image VMs: the base image, the root disk, firmware, SSH keys and the NoCloud seed, made ready before a start.
extension StackRuntime {
    public var imageStore: ImageStore { ImageStore(root: stateDirectory.path + "/images") }

    /// Prepares `launch.image` and records what it used (digest, instance-id, SSH port) in `record`. The returned
    /// lease keeps `vmctl image prune` off the base until the caller has saved the record. `progress` hears the
    /// import's bytes (only when the VM gets a new root disk) and then provisioning.
    func prepareImageBoot(_ launch: inout VMLaunch, record: inout VMRecord, progress: PhaseReport = { _ in }) throws -> ImageUseLease? {
        guard let image = launch.spec.image else { return nil }
        let name = launch.name
        let paths = launch.paths
        func failure(_ operation: String, _ error: Error) -> RuntimeError { .vm(name: name, operation: operation, reason: "\(error)") }
        try AtomicFile.makeDirectory(paths.directory)
        let store = imageStore
        let lease: ImageUseLease
        do { lease = try store.holdForUse() } catch { throw failure("use the image store", error) }

        // The root disk: made once from the base; kept across stops, restarts and reboots; grown, never shrunk.
        if FileManager.default.fileExists(atPath: paths.rootDisk) {
            guard let digest = record.imageDigest, store.image(digest: digest) != nil else {
                throw RuntimeError.vm(name: name, operation: "start", reason: "its root disk \(paths.rootDisk) is based on image \(record.imageDigest ?? "(unknown)"), which is no longer in the image store; vmctl destroy and apply make a new root disk")
            }
            if let pinned = image.sha256, pinned != digest {
                throw RuntimeError.vm(name: name, operation: "start", reason: "its root disk is based on image sha256:\(digest.prefix(12))…, but the manifest pins sha256:\(pinned.prefix(12))… for the same path; give the new image another path so that the plan replaces the VM (its root disk is made anew)")
            }
            progress(.provisioning)
            if let size = image.size {
                do { try store.growOverlay(at: paths.rootDisk, to: size) } catch { throw failure("grow its root disk", error) }
            }
        } else {
            let stored: StoredImage
            do {
                stored = try store.import(path: image.path, expectedSHA256: image.sha256) { progress(.importingImage(done: $0, total: $1)) }
            } catch { throw failure("import image \(image.path)", error) }
            progress(.provisioning)
            do { try store.createOverlay(base: stored, at: paths.rootDisk, size: image.size) } catch { throw failure("create its root disk", error) }
            record.imageDigest = stored.digest
        }

        var firmwareCode: String?
        var firmwareVars: String?
        if launch.spec.effectiveFirmware == .uefi {
            guard FileManager.default.fileExists(atPath: ImageBoot.ovmfCode), FileManager.default.fileExists(atPath: ImageBoot.ovmfVars) else {
                throw RuntimeError.missingTool(tool: ImageBoot.ovmfCode, package: "ovmf")
            }
            if !FileManager.default.fileExists(atPath: paths.firmwareVars) {
                try AtomicFile.write(Data(contentsOf: URL(fileURLWithPath: ImageBoot.ovmfVars)), to: paths.firmwareVars)
            }
            firmwareCode = ImageBoot.ovmfCode
            firmwareVars = paths.firmwareVars
        }

        let subnets = ((try? observeNetworks()) ?? [:]).values.map(\.spec.subnet)
        guard let management = ManagementNetwork.choose(stack: stack, vm: name, avoiding: subnets) else {
            throw RuntimeError.vm(name: name, operation: "start", reason: "every management subnet vmctl can use (\(ManagementNetwork.candidates.joined(separator: ", "))) overlaps a network of the stack")
        }
        let claimed = Set(HostPorts.claims(stateDirectory: stateDirectory).filter { !($0.stack == stack && $0.vm == name) }.map(\.port.host))
        guard let sshPort = HostPorts.freeLoopbackPort(preferred: record.sshPort, avoiding: claimed) else {
            throw RuntimeError.vm(name: name, operation: "start", reason: "no free loopback port for its SSH forward")
        }
        for port in launch.spec.ports where !HostPorts.isFree(port) {
            throw RuntimeError.vm(name: name, operation: "forward \(port.summary)", reason: "the host port is in use (find the program with: ss -lntup 'sport = :\(port.host)')")
        }
        record.sshPort = sshPort

        let seed: NoCloudSeed
        do {
            let stackKey = try StackSSHKey.ensure(in: self.paths.ssh, stack: stack)
            let hostKey = try HostKey.ensure(in: paths.directory, stack: stack, vm: name)
            try KnownHosts.write(alias: KnownHosts.alias(stack: stack, vm: name), publicKey: hostKey.keyPair.publicKey, to: paths.knownHosts)
            seed = try NoCloudSeed(seedRequest(launch, management: management, authorizedKey: stackKey.publicKey, hostKey: hostKey.keyPair))
            try SeedImage().write(seed, to: paths.seed)
        } catch { throw failure("write its cloud-init seed", error) }
        record.instanceID = seed.instanceID

        launch.image = ImageBoot(rootDisk: paths.rootDisk, seed: paths.seed, firmware: launch.spec.effectiveFirmware,
                                 firmwareCode: firmwareCode, firmwareVars: firmwareVars, management: management, sshPort: sshPort)
        if let stored = record.imageDigest.flatMap({ store.image(digest: $0) }) {
            launch.image?.base = stored.path
            launch.image?.baseFormat = stored.format
        }
        return lease
    }

    /// The seed's view of the VM: its stack NICs (matched by MAC; the first bridge or nat NIC carries the default
    /// route), the management NIC, and the stack's names on the networks it shares.
    private func seedRequest(_ launch: VMLaunch, management: ManagementNetwork, authorizedKey: String, hostKey: SSHKeyPair) throws -> SeedRequest {
        var nics: [SeedRequest.NIC] = []
        var routed = false
        for (nic, guest) in zip(launch.nics, launch.guestNICs) {
            let gateway = routed ? nil : guest.gateway
            if gateway != nil { routed = true }
            nics.append(SeedRequest.NIC(mac: nic.mac, address: guest.address, prefixLength: guest.prefixLength, gateway: gateway))
        }
        nics.append(SeedRequest.NIC(mac: management.mac, address: management.guestAddress, prefixLength: management.subnet.prefixLength))
        var request = SeedRequest(stack: stack, vm: launch.name, cloudInit: launch.spec.cloudInit, nics: nics,
                                  hosts: launch.hosts.map { SeedRequest.Host(name: $0.name, address: $0.address) },
                                  authorizedKey: authorizedKey, hostKey: hostKey)
        request.mounts = launch.guestMounts.map { SeedRequest.Mount(device: $0.device, mountPoint: $0.mountPoint, readOnly: $0.readOnly) }
        return request
    }

    /// How vmctl (and `vmctl ssh`) reaches an image VM: the stack key, the VM's pinned host key, its SSH forward.
    public func sshCommand(for name: String, batchMode: Bool = true, forceTTY: Bool = false, connectTimeout: Int = 10) throws -> SSHCommand {
        let record = try requireRecord(name, operation: "ssh")
        guard record.spec.image != nil else {
            throw RuntimeError.vm(name: name, operation: "ssh", reason: "it boots the \(record.spec.kernel == nil ? "default guest" : "kernel in its manifest"), which has no SSH server; use vmctl exec \(name) -- COMMAND")
        }
        guard let port = record.sshPort else {
            throw RuntimeError.vm(name: name, operation: "ssh", reason: "it has not been started yet (vmctl start \(name))")
        }
        return SSHCommand(privateKeyPath: paths.ssh + "/" + StackSSHKey.fileName, port: port, knownHostsPath: paths.vm(name).knownHosts,
                          hostKeyAlias: KnownHosts.alias(stack: stack, vm: name), connectTimeout: connectTimeout,
                          batchMode: batchMode, forceTTY: forceTTY)
    }
}
