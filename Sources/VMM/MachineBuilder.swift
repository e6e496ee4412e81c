import KVM
import VMMControl
import VMMDevices

/// Turns a launch spec into a machine ready to run (vmm-facts §1): KVM checks, guest RAM laid out as in §2,
/// the devices and their ACPI description, then the first VM generation (VM, TSS and identity map, irqchip,
/// PIT, RAM slots, kernel/initrd/cmdline/boot_params, interrupt bindings, vCPUs with their boot state).
///
/// The kernel is a bzImage (64-bit boot protocol) or an ELF vmlinux; tests boot tiny ELF payloads the same
/// way (entered in 64-bit mode at e_entry with RSI = boot_params). The command line is taken as given: what
/// the guest needs (`console=ttyS0`, `reboot=k`, `pci=off`, …) is the runtime's decision.
public enum MachineBuilder {
    /// - Parameter started: when the process started (describe's uptime counts from it).
    public static func build(_ spec: LaunchSpec, started: MonotonicInstant = .now) throws(VMMError) -> Machine {
        let system: KVMSystem
        do {
            system = try KVMSystem()
            try system.require()
        } catch {
            throw error.during("open KVM")
        }
        do { try VCPUKicker.installSignalHandler() } catch { throw error.during("install the vCPU kick signal handler") }
        let supportedCPUID: [CPUIDEntry]
        do { supportedCPUID = try system.supportedCPUID() } catch { throw error.during("read the supported CPUID (KVM_GET_SUPPORTED_CPUID)") }

        let ramSize = UInt64(spec.memoryMiB) << 20
        let ram: GuestRAM
        do { ram = try GuestRAM(regions: BootLayout.ramRegions(size: ramSize)) } catch { throw error.during("allocate \(spec.memoryMiB) MiB of guest RAM") }

        let cmdline: KernelCmdline
        do { cmdline = try KernelCmdline(spec.cmdline) } catch { throw .boot(error) }

        let kernelFile: BootFile
        let initrdFile: BootFile?
        if let fds = spec.descriptors {
            kernelFile = try BootFile(descriptor: fds.kernel, path: spec.kernel, what: "kernel")
            if let path = spec.initrd, let fd = fds.initrd { initrdFile = try BootFile(descriptor: fd, path: path, what: "initrd") } else { initrdFile = nil }
        } else {
            kernelFile = try BootFile(spec.kernel, what: "kernel")
            initrdFile = try spec.initrd.map { path throws(VMMError) in try BootFile(path, what: "initrd") }
        }

        let supervisor = Supervisor()
        let devices = try DeviceSet(spec: spec, memory: ram, events: supervisor)
        let acpi: ACPITables
        do { acpi = try ACPITables(vcpus: spec.vcpus, dsdt: devices.dsdt) } catch { throw .acpi(error) }

        let parts = MachineParts(spec: spec, system: system, supportedCPUID: supportedCPUID, ram: ram, ramSize: ramSize,
                                 devices: devices, acpi: acpi, cmdline: cmdline, kernelFile: kernelFile,
                                 initrdFile: initrdFile, supervisor: supervisor)
        let first = try Generation(parts: parts, paused: false)
        let machine = Machine(parts: parts, first: first, started: started)
        // Last, so nothing after them can fail: frames that arrive before the guest's driver is up are dropped;
        // socket input waits for the guest.
        try devices.startChannels(serialInput: spec.serialInput)
        do { try devices.startNetworkReaders() } catch {
            devices.stopChannels()
            throw error
        }
        return machine
    }
}
