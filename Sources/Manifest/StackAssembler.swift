import VMCtlModel

/// Merges the declared parts into one stack and runs every check that spans entities:
/// duplicates, references, cycles, addresses, sharing and capacity.
struct StackAssembler {
    let sink: DiagnosticSink
    /// Nil: check the manifests alone (see `ManifestLoader.load`).
    let host: HostFacts?
    let noInputPlace: Place

    func assemble(_ parts: StackParts) -> Stack? {
        let stackDocument = singleStack(parts)
        let networks = unique(parts.networks, what: "network")
        let volumes = unique(parts.volumes, what: "volume")
        let vms = unique(parts.vms, what: "VM")
        let budget = hostBudget(stackDocument?.host)

        let instanceOwners = checkInstanceNames(vms)
        checkReferences(vms: vms, networks: networks, volumes: volumes, instanceOwners: instanceOwners)
        checkCycles(vms)
        checkSubnets(networks)
        checkAddresses(vms: vms, networks: networks)
        checkDisks(vms: vms)
        checkCPUs(vms: vms)
        checkGuests(vms: vms)
        checkPorts(vms: vms)
        if let budget, let stackDocument {
            checkCapacity(vms: vms, budget: budget, host: stackDocument.host, at: stackDocument.host?.place ?? stackDocument.root,
                          cpus: host != nil || stackDocument.host?.cpus != nil, memory: host != nil || stackDocument.host?.memory != nil)
        }

        guard !sink.diagnostics.hasErrors, !parts.incomplete, let name = stackDocument?.name?.value, let budget else { return nil }
        return Stack(
            name: name, host: budget,
            networks: networks.compactMapValues { $0.spec?.value },
            volumes: volumes.compactMapValues { $0.spec?.value },
            vms: vms.compactMapValues { $0.spec?.value })
    }

    private func singleStack(_ parts: StackParts) -> StackParts.StackDocument? {
        guard let first = parts.stacks.first else {
            sink.error(noInputPlace, "no Stack document found",
                       hint: "every stack needs one document with apiVersion: vmctl/v1, kind: Stack and metadata.name")
            return nil
        }
        for extra in parts.stacks.dropFirst() {
            let firstAt = first.root.location
            sink.error(extra.root, "a second Stack document; the inputs must hold exactly one",
                       hint: "the first is at \(firstAt.file):\(firstAt.line):\(firstAt.column); put VMs of one stack in VirtualMachine documents")
        }
        return first
    }

    private func unique<Spec>(_ declared: [StackParts.Declared<Spec>], what: String) -> [String: StackParts.Declared<Spec>] {
        var byName: [String: StackParts.Declared<Spec>] = [:]
        for entry in declared {
            if let first = byName[entry.name.value] {
                let at = first.name.place.location
                sink.error(entry.name.place, "\(what) '\(entry.name.value)' is defined twice",
                           hint: "first defined at \(at.file):\(at.line):\(at.column)")
                continue
            }
            byName[entry.name.value] = entry
        }
        return byName
    }

    /// Nil when `host` has errors: capacity checked against defaults would only add noise.
    /// Without host facts a dimension the manifest leaves out is 0 (unknown), see `ManifestLoader.load`.
    private func hostBudget(_ draft: StackParts.HostDraft?) -> HostBudget? {
        var valid = !(draft?.hasErrors ?? false)
        if let host, let cpus = draft?.cpus, cpus.value > host.cpus {
            sink.error(cpus.place, "host.cpus is \(cpus.value) but this host has \(host.cpus) CPUs")
            valid = false
        }
        if let host, let memory = draft?.memory, memory.value > host.memory {
            sink.error(memory.place, "host.memory is \(memory.value) but this host has \(host.memory.approximate) of RAM")
            valid = false
        }
        guard valid else { return nil }
        let defaults = host.map(HostBudget.defaults(for:)) ?? HostBudget(cpus: 0, memory: ByteSize(bytes: 0))
        return HostBudget(
            cpus: draft?.cpus?.value ?? defaults.cpus,
            memory: draft?.memory?.value ?? defaults.memory,
            cpuOvercommit: draft?.cpuOvercommit?.value ?? HostBudget.defaultCPUOvercommit,
            memoryOvercommit: draft?.memoryOvercommit?.value ?? HostBudget.defaultMemoryOvercommit)
    }

    /// Replica names (`web-0`) must not collide with other VMs; returns instance name → defining VM.
    private func checkInstanceNames(_ vms: [String: StackParts.Declared<VMSpec>]) -> [String: String] {
        var owners: [String: String] = [:]
        for (name, entry) in vms.sorted(by: { $0.value.name.place.location < $1.value.name.place.location }) {
            let replicas = entry.spec?.value.replicas
            for instance in VMSpec.instanceNames(of: name, replicas: replicas) {
                if instance.utf8.count > ResourceName.maxLength {
                    sink.error(entry.spec?.place("replicas") ?? entry.name.place,
                               "replica name '\(instance)' is longer than \(ResourceName.maxLength) characters",
                               hint: "shorten the VM name '\(name)'")
                    continue
                }
                if let other = owners[instance] {
                    let mine = replicas == nil ? "the VM '\(name)'" : "replica \(instance.split(separator: "-").last ?? "") of '\(name)'"
                    let theirs = other == instance ? "the VM '\(other)'" : "a replica of '\(other)'"
                    sink.error(entry.spec?.place("replicas") ?? entry.name.place,
                               "VM name '\(instance)' is used twice: by \(mine) and by \(theirs)",
                               hint: "rename one of them")
                    continue
                }
                owners[instance] = name
            }
        }
        return owners
    }

    private func checkReferences(vms: [String: StackParts.Declared<VMSpec>], networks: [String: StackParts.Declared<NetworkSpec>],
                                 volumes: [String: StackParts.Declared<VolumeSpec>], instanceOwners: [String: String]) {
        for (name, entry) in vms {
            guard let vm = entry.spec else { continue }
            for (index, nic) in vm.value.networks.enumerated() where networks[nic.network] == nil {
                let hint = Suggestions.hint(for: nic.network, in: networks.keys) ?? (networks.isEmpty ? "the stack declares no networks" : "declared networks: \(networks.keys.sorted().joined(separator: ", "))")
                sink.error(vm.place("networks[\(index)].network"), "VM '\(name)' uses the network '\(nic.network)', which is not declared", hint: hint)
            }
            for (index, disk) in vm.value.disks.enumerated() where volumes[disk.volume] == nil {
                let hint = Suggestions.hint(for: disk.volume, in: volumes.keys) ?? (volumes.isEmpty ? "the stack declares no volumes" : "declared volumes: \(volumes.keys.sorted().joined(separator: ", "))")
                sink.error(vm.place("disks[\(index)].volume"), "VM '\(name)' uses the volume '\(disk.volume)', which is not declared", hint: hint)
            }
            var seen: Set<String> = []
            for (index, target) in vm.value.dependsOn.enumerated() {
                let place = vm.place("dependsOn[\(index)]")
                if target == name {
                    sink.error(place, "VM '\(name)' depends on itself")
                } else if vms[target] == nil {
                    var hint = Suggestions.hint(for: target, in: vms.keys) ?? "VMs of this stack: \(vms.keys.sorted().joined(separator: ", "))"
                    if let owner = instanceOwners[target], owner != target {
                        hint = "'\(target)' is a replica; depend on the VM '\(owner)' instead"
                    }
                    sink.error(place, "VM '\(name)' depends on '\(target)', which is not a VM of this stack", hint: hint)
                } else if !seen.insert(target).inserted {
                    sink.error(place, "VM '\(name)' lists '\(target)' in dependsOn twice")
                }
            }
        }
    }

    /// Reports each dependency cycle once, at the dependsOn entry that closes it.
    private func checkCycles(_ vms: [String: StackParts.Declared<VMSpec>]) {
        enum Mark { case visiting, done }
        var marks: [String: Mark] = [:]
        var stack: [String] = []
        func visit(_ name: String) {
            marks[name] = .visiting
            stack.append(name)
            let spec = vms[name]?.spec
            for (index, next) in (spec?.value.dependsOn ?? []).enumerated() where next != name && vms[next] != nil {
                switch marks[next] {
                case .visiting:
                    let start = stack.lastIndex(of: next) ?? 0
                    let cycle = (stack[start...] + [next]).joined(separator: " -> ")
                    guard let place = spec?.place("dependsOn[\(index)]") else { continue }
                    sink.error(place, "dependency cycle: \(cycle)",
                               hint: "remove one of these dependsOn entries")
                case .done:
                    continue
                case nil:
                    visit(next)
                }
            }
            stack.removeLast()
            marks[name] = .done
        }
        for name in vms.keys.sorted() where marks[name] == nil { visit(name) }
    }

    private func checkSubnets(_ networks: [String: StackParts.Declared<NetworkSpec>]) {
        let valid = networks.values.compactMap { entry in entry.spec.map { (entry.name.value, $0) } }
            .sorted { $0.1.place.location < $1.1.place.location }
        for (i, (name, network)) in valid.enumerated() {
            for (otherName, other) in valid[..<i] where network.value.subnet.overlaps(other.value.subnet) {
                sink.error(network.place("subnet"), "the subnet \(network.value.subnet) of network '\(name)' overlaps \(other.value.subnet) of network '\(otherName)'",
                           hint: "give each network its own address range")
            }
        }
    }

    private func checkAddresses(vms: [String: StackParts.Declared<VMSpec>], networks: [String: StackParts.Declared<NetworkSpec>]) {
        var ipOwners: [IPv4Address: String] = [:]
        var macOwners: [MACAddress: String] = [:]
        for (_, network) in networks { if let spec = network.spec { ipOwners[spec.value.gateway] = "the gateway of network '\(network.name.value)'" } }
        for (name, entry) in vms.sorted(by: { $0.value.name.place.location < $1.value.name.place.location }) {
            guard let vm = entry.spec else { continue }
            let replicated = (vm.value.replicas ?? 1) > 1
            var attached: Set<String> = []
            for (index, nic) in vm.value.networks.enumerated() {
                if !attached.insert(nic.network).inserted {
                    sink.error(vm.place("networks[\(index)].network"), "VM '\(name)' is attached to the network '\(nic.network)' twice")
                }
                if replicated, nic.ip != nil || nic.mac != nil {
                    sink.error(vm.place(nic.ip != nil ? "networks[\(index)].ip" : "networks[\(index)].mac"),
                               "VM '\(name)' has replicas: \(vm.value.replicas ?? 0), so a static \(nic.ip != nil ? "ip" : "mac") would be shared by all of them",
                               hint: "remove it to get one address per replica")
                    continue
                }
                if let ip = nic.ip {
                    let place = vm.place("networks[\(index)].ip")
                    if let network = networks[nic.network]?.spec?.value {
                        let subnet = network.subnet
                        if !subnet.contains(ip) {
                            sink.error(place, "\(ip) is outside the subnet \(subnet) of network '\(nic.network)'",
                                       hint: Self.usableAddresses(of: network))
                            continue
                        }
                        if ip == subnet.network || ip == subnet.broadcast {
                            sink.error(place, "\(ip) is the \(ip == subnet.network ? "network" : "broadcast") address of \(subnet)")
                            continue
                        }
                    }
                    if let owner = ipOwners[ip] {
                        sink.error(place, "the address \(ip) is already used by \(owner)")
                    } else {
                        ipOwners[ip] = "VM '\(name)'"
                    }
                }
                if let mac = nic.mac {
                    if let owner = macOwners[mac] {
                        sink.error(vm.place("networks[\(index)].mac"), "the MAC address \(mac) is already used by \(owner)")
                    } else {
                        macOwners[mac] = "VM '\(name)'"
                    }
                }
            }
        }
    }

    private func checkDisks(vms: [String: StackParts.Declared<VMSpec>]) {
        var writers: [String: (vm: String, place: Place)] = [:]
        for (name, entry) in vms.sorted(by: { $0.value.name.place.location < $1.value.name.place.location }) {
            guard let vm = entry.spec else { continue }
            var used: Set<String> = []
            var mountPoints: Set<String> = []
            for (index, disk) in vm.value.disks.enumerated() {
                let place = vm.place("disks[\(index)].volume")
                if !used.insert(disk.volume).inserted {
                    sink.error(place, "VM '\(name)' attaches the volume '\(disk.volume)' twice")
                    continue
                }
                if let mountPoint = disk.mountPoint, !mountPoints.insert(mountPoint).inserted {
                    sink.error(vm.place("disks[\(index)].mountPoint"), "VM '\(name)' mounts two volumes at \(mountPoint)")
                }
                guard !disk.readOnly else { continue }
                if (vm.value.replicas ?? 1) > 1 {
                    sink.error(place, "the volume '\(disk.volume)' is attached read-write to all \(vm.value.replicas ?? 0) replicas of '\(name)'",
                               hint: "a volume may be written by one VM only; add readOnly: true, or give each replica its own volume")
                } else if let writer = writers[disk.volume] {
                    let at = writer.place.location
                    sink.error(place, "the volume '\(disk.volume)' is attached read-write to both '\(writer.vm)' and '\(name)'",
                               hint: "a volume may be written by one VM only (the other attachment is at \(at.file):\(at.line):\(at.column)); add readOnly: true to one of them")
                } else if vm.value.replicas != 0 {
                    writers[disk.volume] = (name, place)
                }
            }
        }
    }

    private func checkCPUs(vms: [String: StackParts.Declared<VMSpec>]) {
        for (name, entry) in vms {
            guard let vm = entry.spec else { continue }
            if let host, vm.value.cpus > host.cpus {
                sink.error(vm.place("cpus"), "VM '\(name)' asks for \(vm.value.cpus) vCPUs but this host has \(host.cpus) CPUs")
            } else if vm.value.backend == .kvm, vm.value.cpus > VMSpec.maxKVMCPUs {
                sink.error(vm.place("cpus"), "VM '\(name)' asks for \(vm.value.cpus) vCPUs; the kvm backend supports at most \(VMSpec.maxKVMCPUs)",
                           hint: "use backend: qemu for larger VMs")
            }
        }
    }

    /// "pick an address from 10.10.0.2 to 10.10.0.254": the host addresses a NIC may use, the gateway left out.
    static func usableAddresses(of network: NetworkSpec) -> String {
        var first = network.subnet.firstHost
        var last = network.subnet.lastHost
        if network.gateway == first { first = IPv4Address(first.value + 1) }
        if network.gateway == last { last = IPv4Address(last.value - 1) }
        if first == last { return "the only free address is \(first)" }
        let gatewayInside = network.gateway > first && network.gateway < last
        return "pick an address from \(first) to \(last)" + (gatewayInside ? " other than the gateway \(network.gateway)" : "")
    }
}
