import CKVM

/// A KVM_CHECK_EXTENSION capability, with its name for messages.
public struct KVMCapability: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public let name: String

    public init(rawValue: Int32, name: String) {
        self.rawValue = rawValue
        self.name = name
    }

    public var description: String { name }

    public static let irqchip = KVMCapability(rawValue: KVM_CAP_IRQCHIP, name: "KVM_CAP_IRQCHIP")
    public static let userMemory = KVMCapability(rawValue: KVM_CAP_USER_MEMORY, name: "KVM_CAP_USER_MEMORY")
    public static let setTSSAddress = KVMCapability(rawValue: KVM_CAP_SET_TSS_ADDR, name: "KVM_CAP_SET_TSS_ADDR")
    public static let setIdentityMapAddress = KVMCapability(rawValue: KVM_CAP_SET_IDENTITY_MAP_ADDR, name: "KVM_CAP_SET_IDENTITY_MAP_ADDR")
    public static let extendedCPUID = KVMCapability(rawValue: KVM_CAP_EXT_CPUID, name: "KVM_CAP_EXT_CPUID")
    public static let pit2 = KVMCapability(rawValue: KVM_CAP_PIT2, name: "KVM_CAP_PIT2")
    public static let pitState2 = KVMCapability(rawValue: KVM_CAP_PIT_STATE2, name: "KVM_CAP_PIT_STATE2")
    public static let ioeventfd = KVMCapability(rawValue: KVM_CAP_IOEVENTFD, name: "KVM_CAP_IOEVENTFD")
    public static let irqfd = KVMCapability(rawValue: KVM_CAP_IRQFD, name: "KVM_CAP_IRQFD")
    public static let immediateExit = KVMCapability(rawValue: KVM_CAP_IMMEDIATE_EXIT, name: "KVM_CAP_IMMEDIATE_EXIT")
    public static let kvmclockControl = KVMCapability(rawValue: KVM_CAP_KVMCLOCK_CTRL, name: "KVM_CAP_KVMCLOCK_CTRL")
    public static let tscDeadlineTimer = KVMCapability(rawValue: KVM_CAP_TSC_DEADLINE_TIMER, name: "KVM_CAP_TSC_DEADLINE_TIMER")
    public static let adjustClock = KVMCapability(rawValue: KVM_CAP_ADJUST_CLOCK, name: "KVM_CAP_ADJUST_CLOCK")
    public static let mpState = KVMCapability(rawValue: KVM_CAP_MP_STATE, name: "KVM_CAP_MP_STATE")
    public static let vcpuEvents = KVMCapability(rawValue: KVM_CAP_VCPU_EVENTS, name: "KVM_CAP_VCPU_EVENTS")
    public static let xsave = KVMCapability(rawValue: KVM_CAP_XSAVE, name: "KVM_CAP_XSAVE")
    public static let xcrs = KVMCapability(rawValue: KVM_CAP_XCRS, name: "KVM_CAP_XCRS")
    public static let debugRegisters = KVMCapability(rawValue: KVM_CAP_DEBUGREGS, name: "KVM_CAP_DEBUGREGS")
    /// KVM_CHECK_EXTENSION returns the recommended maximum vCPU count for these two.
    public static let recommendedVCPUs = KVMCapability(rawValue: KVM_CAP_NR_VCPUS, name: "KVM_CAP_NR_VCPUS")
    public static let maxVCPUs = KVMCapability(rawValue: KVM_CAP_MAX_VCPUS, name: "KVM_CAP_MAX_VCPUS")

    /// What the VMM's setup sequence needs (vmm-facts.md §1 step 1, plus immediate_exit for kicks).
    public static let requiredByVMM: [KVMCapability] = [
        .irqchip, .userMemory, .setTSSAddress, .extendedCPUID, .pit2, .ioeventfd, .irqfd, .immediateExit,
    ]
}
