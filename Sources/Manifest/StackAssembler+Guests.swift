import VMCtlModel

/// Checks of image VMs: what goes with `image`, and host ports used once in the stack.
extension StackAssembler {
    func checkGuests(vms: [String: StackParts.Declared<VMSpec>]) {
        for (name, entry) in vms {
            guard let vm = entry.spec else { continue }
            let spec = vm.value
            if spec.image == nil {
                if spec.cloudInit != nil {
                    sink.error(vm.place("cloudInit"), "VM '\(name)' has cloudInit but no image",
                               hint: "cloud-init runs in cloud images: add image: {path: …}; the default guest is configured by vmctl itself")
                }
                if spec.firmware != nil {
                    sink.error(vm.place("firmware"), "VM '\(name)' has firmware but no image",
                               hint: "firmware boots an image's own bootloader; VMs without image boot their kernel directly")
                }
            }
            if spec.image != nil, spec.backend == .kvm {
                sink.error(vm.place("backend"), "VM '\(name)' boots an image, which the kvm backend (vmctl-vmm) cannot do: it has no firmware and no user-mode network for SSH and ports",
                           hint: "use backend: qemu, or auto")
            }
            if !spec.ports.isEmpty, spec.image == nil {
                sink.error(vm.place("ports[0]"), "VM '\(name)' forwards ports but has no image",
                           hint: "ports are forwarded to image VMs (through their management NIC); add image: {path: …}")
            }
            if !spec.ports.isEmpty, let replicas = spec.replicas, replicas > 1 {
                sink.error(vm.place("ports[0]"), "VM '\(name)' has replicas: \(replicas), so each host port would be bound by all of them",
                           hint: "give each forwarded VM its own entry in vms")
            }
        }
    }

    /// A host address, port and protocol is forwarded by one VM only; 0.0.0.0 takes the port on every address.
    func checkPorts(vms: [String: StackParts.Declared<VMSpec>]) {
        var taken: [(port: PortForward, vm: String, place: Place)] = []
        for (name, entry) in vms.sorted(by: { $0.value.name.place.location < $1.value.name.place.location }) {
            guard let vm = entry.spec else { continue }
            for (index, port) in vm.value.ports.enumerated() {
                let place = vm.place("ports[\(index)]")
                if let owner = taken.first(where: { $0.port.sharesHostPort(with: port) }) {
                    let at = owner.place.location
                    sink.error(place, "host port \(port.protocol.rawValue) \(port.address):\(port.host) is already forwarded by VM '\(owner.vm)'",
                               hint: "the other forward is at \(at.file):\(at.line):\(at.column); pick another host port")
                    continue
                }
                taken.append((port, name, place))
            }
        }
    }
}
