import Glibc
import KVM
import VMMDevices

/// One boot of the machine: a KVM VM over the machine's RAM with its irqchip, PIT, vCPUs and their threads,
/// and the interrupt and notification bindings of the machine's devices. A reset stops this generation and
/// builds the next; RAM, devices and the process stay.
final class Generation: Sendable {
    /// KVM's identity-map page, just below Firecracker's TSS (vmm-facts §2, §9.10).
    static let identityMapAddress: UInt64 = 0xFFFB_C000

    let vm: VirtualMachine
    let vcpus: [VCPU]
    let gate: RunGate
    let boot: LinuxBoot
    private let notifier: VirtioNotifier?
    private let lines: [IRQLine]
    private let threads = Monitor<[pthread_t]>([])

    /// The set-up sequence of vmm-facts §1, steps 4–11, with step 9 (RAM slots) moved right after step 4.
    init(parts: MachineParts, paused: Bool) throws(VMMError) {
        let system = parts.system
        vm = try step("create the VM (KVM_CREATE_VM)") { () throws(KVMError) in try system.createVM() }
        let vm = self.vm
        // RAM slots before the irqchip: once the irqchip exists, the first KVM_SET_USER_MEMORY_REGION waits
        // 4.5-6.5 ms on the nested kvm_pvm host (bench/README.md, vmctl-vmm); before it, it takes ~0.1 ms.
        let ram = parts.ram
        try step("map guest RAM (KVM_SET_USER_MEMORY_REGION)") { () throws(KVMError) in _ = try vm.map(ram) }
        try step("set the TSS address (KVM_SET_TSS_ADDR)") { () throws(KVMError) in try vm.setTSSAddress() }
        try step("set the identity-map address (KVM_SET_IDENTITY_MAP_ADDR)") { () throws(KVMError) in
            try vm.setIdentityMapAddress(Self.identityMapAddress)
        }
        try step("create the in-kernel irqchip (KVM_CREATE_IRQCHIP)") { () throws(KVMError) in try vm.createIRQChip() }
        try step("create the PIT (KVM_CREATE_PIT2)") { () throws(KVMError) in try vm.createPIT2() }
        boot = try parts.loadBootImage()
        lines = parts.devices.lines
        for line in lines { try line.register(with: vm) }
        notifier = parts.devices.virtio.isEmpty ? nil : try VirtioNotifier(devices: parts.devices, vm: vm)

        var vcpus: [VCPU] = []
        for index in 0..<parts.spec.vcpus {
            let vcpu = try step("create vCPU \(index) (KVM_CREATE_VCPU)") { () throws(KVMError) in
                try vm.createVCPU(id: UInt32(index))
            }
            try VCPUBootState.apply(to: vcpu, index: index, count: parts.spec.vcpus, cpuid: parts.supportedCPUID, boot: boot)
            vcpus.append(vcpu)
        }
        self.vcpus = vcpus
        gate = RunGate(vcpus: vcpus.count, target: paused ? .paused : .running)
    }

    /// Starts the notification thread and one thread per vCPU; returns once every vCPU can be kicked.
    func start(parts: MachineParts) throws(VMMError) {
        parts.supervisor.attach(gate)
        try notifier?.start()
        for (index, vcpu) in vcpus.enumerated() {
            let runner = VCPURunner(vcpu: vcpu, index: index, gate: gate, devices: parts.devices,
                                    counters: parts.counters[index], supervisor: parts.supervisor)
            do {
                let thread = try Threads.start("vCPU \(index)") { runner.run() }
                threads.withLock { $0.append(thread) }
            } catch {
                stop()
                throw error
            }
        }
        gate.waitUntilRegistered()
    }

    func pause() {
        gate.set(.paused)
        gate.waitUntilParked()
    }

    func resume() {
        gate.set(.running)
    }

    /// Stops and joins every thread of this generation. Idempotent.
    func stop() {
        gate.set(.stopping)
        let running = threads.withLock { state -> [pthread_t] in
            defer { state = [] }
            return state
        }
        for thread in running { Threads.join(thread) }
        notifier?.stop()
    }

    /// Unbinds the devices' interrupt eventfds from this VM, so the next generation can bind them (an eventfd
    /// serves one irqfd at a time; KVM answers EBUSY otherwise). Call after `stop()`.
    func releaseInterrupts() {
        for line in lines { line.unregister(from: vm) }
    }
}

/// Runs one KVM set-up call, naming the step if it fails.
private func step<Result>(_ name: String, _ body: () throws(KVMError) -> Result) throws(VMMError) -> Result {
    do { return try body() } catch { throw error.during(name) }
}
