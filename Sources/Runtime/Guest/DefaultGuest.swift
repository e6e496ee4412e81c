import Foundation
import VMCtlModel

/// vmctl's built-in guest: the host's Debian cloud kernel and an initramfs vmctl builds from busybox-static.
/// Stored beside the initramfs as `guest.json`.
public struct DefaultGuest: Hashable, Sendable, Codable {
    public var kernel: String
    public var kernelVersion: String
    /// Which kernel: vmctl's micro kernel or the distribution's (nil in a guest.json from before the micro kernel).
    public var kernelKind: KernelKind?
    public var initrd: String
    /// SHA-256 of the kernel and the initramfs; also the name of the cache folder.
    public var hash: String
    /// Size of the initramfs in bytes.
    public var size: Int
    /// The console line the guest prints when it is up.
    public var readinessMarker: String
    /// Arguments every boot needs; `cmdline(hostname:nics:mounts:)` adds the per-VM ones.
    public var baseCmdline: String
    /// Kernel modules in the initramfs, in load order (paths relative to the kernel's modules folder).
    public var modules: [String]
    /// Wanted modules the kernel lacks (the power button ones are optional); empty on the cloud kernel.
    public var unavailableModules: [String]
    public var busybox: String
    public var builtAt: Date

    public static let defaultBaseCmdline = "console=ttyS0 panic=-1 quiet"

    public enum KernelKind: String, Codable, Sendable {
        /// vmctl's micro kernel (`vmctl guest build --kernel micro`, MicroKernel).
        case micro
        /// The distribution's kernel from /boot (the Debian cloud kernel) with its virtio modules.
        case distribution
    }
}

/// A network interface the default guest configures at boot.
public struct GuestNIC: Hashable, Sendable {
    public var interface: String
    public var address: IPv4Address
    public var prefixLength: Int
    public var gateway: IPv4Address?

    public init(interface: String, address: IPv4Address, prefixLength: Int, gateway: IPv4Address? = nil) {
        self.interface = interface
        self.address = address
        self.prefixLength = prefixLength
        self.gateway = gateway
    }
}

/// An ext4 block device the default guest mounts at boot.
public struct GuestMount: Hashable, Sendable {
    public var device: String
    public var mountPoint: String
    public var readOnly: Bool

    public init(device: String, mountPoint: String, readOnly: Bool = false) {
        self.device = device
        self.mountPoint = mountPoint
        self.readOnly = readOnly
    }
}
