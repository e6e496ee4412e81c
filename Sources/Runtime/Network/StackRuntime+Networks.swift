import Foundation
import VMCtlModel

/// Isolated networks: one switch process each; NIC addresses from the manifest or from leases; stable MACs.
extension StackRuntime {
    public func createNetwork(_ name: String, spec: NetworkSpec) throws {
        try AtomicFile.makeDirectory(paths.networks)
        if let old = try AtomicFile.readJSON(ObservedNetwork.self, from: paths.networkRecord(name)), old.spec.mode != .isolated {
            BridgeNetwork(paths: paths.network(name), stack: stack, name: name).delete()   // a replace starts over
        }
        switch spec.mode {
        case .isolated:
            SwitchProcess.stop(paths.network(name))   // a replace restarts the switch
            try SwitchProcess.start(paths.network(name), name: name)
        case .bridge, .nat:
            SwitchProcess.stop(paths.network(name))
            try BridgeNetwork(paths: paths.network(name), stack: stack, name: name).create(spec)
        }
        try AtomicFile.writeJSON(ObservedNetwork(name: name, spec: spec), to: paths.networkRecord(name))
    }

    public func deleteNetwork(_ name: String) throws {
        SwitchProcess.stop(paths.network(name))
        BridgeNetwork(paths: paths.network(name), stack: stack, name: name).delete()
        unlink(paths.networkRecord(name))
        let folder = paths.network(name).directory
        if FileManager.default.fileExists(atPath: folder) { try FileManager.default.removeItem(atPath: folder) }
    }

    public func observeNetworks() throws -> [String: ObservedNetwork] {
        var networks: [String: ObservedNetwork] = [:]
        for file in (try? FileManager.default.contentsOfDirectory(atPath: paths.networks)) ?? [] where file.hasSuffix(".json") {
            let name = String(file.dropLast(5))
            guard var network = try AtomicFile.readJSON(ObservedNetwork.self, from: paths.networkRecord(name)) else { continue }
            network.running = network.spec.mode == .isolated
                ? SwitchProcess.isRunning(paths.network(name))
                : BridgeNetwork(paths: paths.network(name), stack: stack, name: name).isUp(network.spec)
            networks[name] = network
        }
        return networks
    }

    /// Gives every NIC of the stack without a static address its lease, and records the static ones, before
    /// any VM boots, so each VM's /etc/hosts can list all its neighbours.
    public func allocateAddresses(for desired: Stack) throws {
        try checkStaticAddressesAreFree(desired)
        for instance in desired.instances {
            for (index, nic) in instance.spec.networks.enumerated() {
                guard let network = desired.networks[nic.network] else { continue }
                let leases = AddressLeases(paths: paths.network(nic.network))
                let key = AddressLeases.key(vm: instance.name, nic: index)
                if let ip = nic.ip { try leases.pin(key, to: ip); continue }
                let reserved = Set(desired.instances.flatMap { $0.spec.networks.filter { $0.network == nic.network }.compactMap(\.ip) })
                _ = try leases.address(for: key, in: network, reserved: reserved)
            }
        }
    }

    /// The manifest cannot know leases: a static `ip` that a VM which stays, and runs, got dynamically would
    /// put two VMs on one address (its lease moves, but it keeps using the old address until it restarts).
    private func checkStaticAddressesAreFree(_ desired: Stack) throws {
        let records = self.records()
        let kept = Set(desired.instances.map(\.name))
        for instance in desired.instances {
            for (index, nic) in instance.spec.networks.enumerated() {
                guard let ip = nic.ip else { continue }
                let key = AddressLeases.key(vm: instance.name, nic: index)
                for (other, leased) in AddressLeases(paths: paths.network(nic.network)).all() where leased == ip && other != key {
                    let vm = String(other.split(separator: "/").first ?? "")
                    guard vm != instance.name, kept.contains(vm), let record = records[vm],
                          [.starting, .running, .paused].contains(inspect(record).state) else { continue }
                    throw RuntimeError.vm(name: instance.name, operation: "use address \(ip) on network \(nic.network)",
                                          reason: "VM '\(vm)' got it dynamically and is running with it; stop '\(vm)' first (it gets a new address when it starts) or choose another ip")
                }
            }
        }
    }

    /// The NICs of one VM for its VMM, the same for the guest's /init, and its /etc/hosts entries.
    func networking(name: String, spec: VMSpec) throws -> ([VMLaunch.NIC], [GuestNIC], [(name: String, address: IPv4Address)]) {
        var nics: [VMLaunch.NIC] = []
        var guestNICs: [GuestNIC] = []
        var hosts: [(name: String, address: IPv4Address)] = []
        let records = self.records()
        for (index, nic) in spec.networks.enumerated() {
            guard let network = try AtomicFile.readJSON(ObservedNetwork.self, from: paths.networkRecord(nic.network)) else {
                throw RuntimeError.vm(name: name, operation: "attach network \(nic.network)", reason: "the network does not exist; apply the stack")
            }
            let leases = AddressLeases(paths: paths.network(nic.network))
            let address = try nic.ip ?? leases.address(for: AddressLeases.key(vm: name, nic: index), in: network.spec, reserved: [])
            let mac = nic.mac ?? StableMAC.derive(stack: stack, vm: name, nic: index)
            switch network.spec.mode {
            case .isolated:
                nics.append(VMLaunch.NIC(attachment: .switchSocket(paths.network(nic.network).socket), mac: mac))
                guestNICs.append(GuestNIC(interface: "eth\(index)", address: address, prefixLength: network.spec.subnet.prefixLength))
            case .bridge, .nat:
                let tap = BridgeNetwork.tapName(stack: stack, vm: name, nic: index)
                try BridgeNetwork(paths: paths.network(nic.network), stack: stack, name: nic.network).attachTap(tap, spec: network.spec)
                nics.append(VMLaunch.NIC(attachment: .tap(tap), mac: mac))
                // The host is the gateway: bridge and nat networks route through it.
                guestNICs.append(GuestNIC(interface: "eth\(index)", address: address, prefixLength: network.spec.subnet.prefixLength,
                                          gateway: network.spec.gateway))
            }
            // Neighbours: leased addresses and static ones recorded for other VMs on this network.
            for (key, leased) in leases.all() {
                let vm = String(key.split(separator: "/").first ?? "")
                if vm != name, !hosts.contains(where: { $0.name == vm }) { hosts.append((vm, leased)) }
            }
            for (other, record) in records where other != name {
                for peer in record.spec.networks where peer.network == nic.network {
                    if let ip = peer.ip, !hosts.contains(where: { $0.name == other }) { hosts.append((other, ip)) }
                }
            }
        }
        return (nics, guestNICs, hosts.sorted { $0.name < $1.name })
    }
}

extension StackRuntime {
    /// Removes the taps of a VM's bridge and nat NICs (called when the VM is destroyed).
    func removeTaps(of name: String, spec: VMSpec) {
        for (index, nic) in spec.networks.enumerated() {
            guard let network = try? AtomicFile.readJSON(ObservedNetwork.self, from: paths.networkRecord(nic.network)),
                  network.spec.mode != .isolated else { continue }
            BridgeNetwork.removeTap(BridgeNetwork.tapName(stack: stack, vm: name, nic: index))
        }
    }

    /// Forgets the addresses of a deleted VM, so they can be given out again.
    func releaseAddresses(of name: String, spec: VMSpec) {
        for network in Set(spec.networks.map(\.network)) { try? AddressLeases(paths: paths.network(network)).release(vm: name) }
    }

    /// For a VM whose record cannot be read: its taps and addresses on every network of the stack, found by name.
    func releaseAllAddresses(of name: String) {
        for (network, record) in (try? observeNetworks()) ?? [:] {
            try? AddressLeases(paths: paths.network(network)).release(vm: name)
            guard record.spec.mode != .isolated else { continue }
            for nic in 0..<16 { BridgeNetwork.removeTap(BridgeNetwork.tapName(stack: stack, vm: name, nic: nic)) }
        }
    }
}
