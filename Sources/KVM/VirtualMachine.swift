import CKVM
import Glibc
import VMMDevices

/// One KVM VM: owns the VM fd (closed in deinit) and keeps the guest RAM registered with it alive, so no
/// memory slot ever points at unmapped host memory. Created by `KVMSystem.createVM()`.
///
/// Thread safety: ioctls on a VM fd are safe from any thread; the only mutable state (registered RAM and the
/// next free slot) is behind a lock. Follow the order in vmm-facts.md §1: TSS/identity map, irqchip and PIT
/// before `createVCPU`.
public final class VirtualMachine: Sendable {
    /// Firecracker's TSS address (3 pages), just below the default identity-map page 0xFFFBC000.
    public static let defaultTSSAddress: UInt64 = 0xFFFB_D000

    let fd: Int32
    public let system: KVMSystem
    private let memory = Lock<(ram: [GuestRAM], nextSlot: UInt32)>(([], 0))

    init(adopting fd: Int32, system: KVMSystem) {
        self.fd = fd
        self.system = system
    }

    deinit { _ = ckvm_close(fd) }

    /// KVM_SET_TSS_ADDR (by value; three pages that must not overlap RAM or MMIO).
    public func setTSSAddress(_ address: UInt64 = VirtualMachine.defaultTSSAddress) throws(KVMError) {
        _ = try checkIoctl(ckvm_ioctl_none(fd, CKVM_SET_TSS_ADDR, UInt(address)), "KVM_SET_TSS_ADDR")
    }

    /// KVM_SET_IDENTITY_MAP_ADDR (takes a pointer to the u64 address); before any vCPU exists.
    public func setIdentityMapAddress(_ address: UInt64) throws(KVMError) {
        var value = address
        // `value` lives for the duration of the call; the kernel reads 8 bytes from it.
        _ = try checkIoctl(ckvm_ioctl_ptr(fd, CKVM_SET_IDENTITY_MAP_ADDR, &value), "KVM_SET_IDENTITY_MAP_ADDR")
    }

    /// KVM_CREATE_IRQCHIP: in-kernel PIC, IOAPIC and LAPICs with the default GSI routing. Before `createVCPU`.
    /// Note that with the in-kernel LAPIC a guest HLT is handled by KVM: no `.hlt` exit arrives.
    public func createIRQChip() throws(KVMError) {
        _ = try checkIoctl(ckvm_ioctl_none(fd, CKVM_CREATE_IRQCHIP, 0), "KVM_CREATE_IRQCHIP")
    }

    /// KVM_CREATE_PIT2; `speakerDummy` keeps port 0x61 in the kernel (vmm-facts.md §9 pitfall 11).
    public func createPIT2(speakerDummy: Bool = true) throws(KVMError) {
        var config = kvm_pit_config()
        config.flags = speakerDummy ? UInt32(KVM_PIT_SPEAKER_DUMMY) : 0
        // `config` lives for the duration of the call; the kernel reads sizeof(kvm_pit_config) bytes.
        _ = try checkIoctl(ckvm_ioctl_ptr(fd, CKVM_CREATE_PIT2, &config), "KVM_CREATE_PIT2")
    }

    /// Registers every region of `ram` as a memory slot (KVM_SET_USER_MEMORY_REGION) and keeps `ram` alive as
    /// long as this VM. Returns the slot numbers used, one per region.
    @discardableResult
    public func map(_ ram: GuestRAM) throws(KVMError) -> [UInt32] {
        try memory.withLock { (state) throws(KVMError) -> [UInt32] in
            var slots: [UInt32] = []
            for (region, host) in ram.hostRegions {
                var description = kvm_userspace_memory_region(
                    slot: state.nextSlot, flags: 0, guest_phys_addr: region.start.value,
                    memory_size: region.size, userspace_addr: UInt64(UInt(bitPattern: host)))
                // `description` lives for the call; `host` points at `region.size` mapped bytes owned by `ram`,
                // which this VM retains below for as long as the slot exists (the VM fd's lifetime).
                _ = try checkIoctl(ckvm_ioctl_ptr(fd, CKVM_SET_USER_MEMORY_REGION, &description), "KVM_SET_USER_MEMORY_REGION")
                slots.append(state.nextSlot)
                state.nextSlot += 1
                // Retain as soon as one slot points into it, even if a later region fails.
                if slots.count == 1 { state.ram.append(ram) }
            }
            return slots
        }
    }

    /// KVM_CREATE_VCPU with `id` (also the APIC ID) and its kvm_run mapping.
    public func createVCPU(id: UInt32) throws(KVMError) -> VCPU {
        let vcpuFD = try checkIoctl(ckvm_ioctl_none(fd, CKVM_CREATE_VCPU, UInt(id)), "KVM_CREATE_VCPU")
        return try VCPU(adopting: vcpuFD, id: id, vm: self)
    }
}
