import Foundation

/// Whether this host has hardware virtualization that can boot Linux at full speed.
public struct HostVirtualization: Sendable {
    public var hardwareKVM: Bool
    public var reason: String

    public init(hardwareKVM: Bool, reason: String) {
        self.hardwareKVM = hardwareKVM
        self.reason = reason
    }

    /// Hardware KVM means /dev/kvm is usable and backed by kvm_intel or kvm_amd. A nested, emulated
    /// /dev/kvm (such as kvm_pvm) counts as "no": Linux guests would crawl on it.
    public static func probe() -> HostVirtualization {
        guard access("/dev/kvm", R_OK | W_OK) == 0 else {
            return HostVirtualization(hardwareKVM: false, reason: "/dev/kvm is missing or not accessible")
        }
        for module in ["kvm_intel", "kvm_amd"] where FileManager.default.fileExists(atPath: "/sys/module/\(module)") {
            return HostVirtualization(hardwareKVM: true, reason: "/dev/kvm backed by \(module)")
        }
        if FileManager.default.fileExists(atPath: "/sys/module/kvm_pvm") {
            return HostVirtualization(hardwareKVM: false, reason: "/dev/kvm is nested through kvm_pvm (emulated, too slow for Linux)")
        }
        return HostVirtualization(hardwareKVM: false, reason: "/dev/kvm has no kvm_intel or kvm_amd behind it")
    }
}
