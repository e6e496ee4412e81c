import VMCtlModel

/// What the default guest configures at boot, per VM.
public struct GuestBootConfig: Sendable {
    public var hostname: String
    public var mounts: [(device: String, mountPoint: String, readOnly: Bool)]
    public var nics: [GuestNIC]
    /// /etc/hosts entries: the VMs reachable on the networks this VM shares with them.
    public var hosts: [(name: String, address: IPv4Address)]
}

/// A bootable kernel + initramfs for VMs that name no kernel: vmctl's default guest.
public struct GuestImage: Sendable {
    public var kernel: String
    public var initrd: String
    /// Printed on the console when the guest is up.
    public var readinessMarker: String
    /// Kernel parameters the guest's init understands, built per VM.
    public var cmdline: @Sendable (GuestBootConfig) throws -> String
    /// Which kernel, in words (`vmctl status --wide`): "micro 6.1.192-vmctl-micro" or "debian 6.1.0-57-cloud-amd64".
    public var kernelDescription: String?

    public init(kernel: String, initrd: String, readinessMarker: String, kernelDescription: String? = nil,
                cmdline: @escaping @Sendable (GuestBootConfig) throws -> String) {
        self.kernel = kernel
        self.initrd = initrd
        self.readinessMarker = readinessMarker
        self.kernelDescription = kernelDescription
        self.cmdline = cmdline
    }
}

/// Builds or finds the default guest; injected so tests and the runtime can choose how.
public protocol GuestProvider: Sendable {
    func defaultGuest() throws -> GuestImage
}
