import KVM
import VMMControl
import VMMDevices

/// What a machine keeps across resets: the KVM handle and its supported CPUID, guest RAM (its contents
/// survive a reboot, as on real hardware), the devices, the ACPI tables, the exit counters, the supervisor.
/// Each VM generation is built from these.
final class MachineParts: Sendable {
    let spec: LaunchSpec
    let system: KVMSystem
    let supportedCPUID: [CPUIDEntry]
    let ram: GuestRAM
    let ramSize: UInt64
    let devices: DeviceSet
    let acpi: ACPITables
    let cmdline: KernelCmdline
    let kernelFile: BootFile
    let initrdFile: BootFile?
    let counters: [ExitCounters]
    let supervisor: Supervisor

    init(spec: LaunchSpec, system: KVMSystem, supportedCPUID: [CPUIDEntry], ram: GuestRAM, ramSize: UInt64,
         devices: DeviceSet, acpi: ACPITables, cmdline: KernelCmdline, kernelFile: BootFile, initrdFile: BootFile?,
         supervisor: Supervisor) {
        self.spec = spec
        self.system = system
        self.supportedCPUID = supportedCPUID
        self.ram = ram
        self.ramSize = ramSize
        self.devices = devices
        self.acpi = acpi
        self.cmdline = cmdline
        self.kernelFile = kernelFile
        self.initrdFile = initrdFile
        counters = (0..<spec.vcpus).map { _ in ExitCounters() }
        self.supervisor = supervisor
    }

    /// Writes everything the kernel finds at its entry into guest RAM: the GDT, IDT and identity page tables,
    /// the ACPI tables, the kernel (bzImage or ELF, re-read from its open file), the initrd, the command line and
    /// boot_params with the e820 map.
    func loadBootImage() throws(VMMError) -> LinuxBoot {
        do { try LongModeSetup.write(into: ram) } catch { throw .guestMemory(what: "GDT and page tables", error) }
        do { try acpi.write(to: ram) } catch { throw .acpi(error) }
        let kernel = try kernelFile.read()
        let initrd = try initrdFile?.read()
        do {
            return try LinuxBoot(kernelImage: kernel, initrdImage: initrd, cmdline: cmdline, ramSize: ramSize,
                                 rsdp: acpi.rsdpAddress, memory: ram)
        } catch {
            throw .boot(error)
        }
    }
}
