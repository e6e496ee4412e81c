import VMCtlModel

/// What QEMU needs to boot an image VM, prepared by the runtime before each start.
public struct ImageBoot: Sendable {
    /// The VM's qcow2 overlay on its stored base image.
    public var rootDisk: String
    /// The NoCloud seed (ISO 9660, label cidata), attached read-only after the volumes.
    public var seed: String
    public var firmware: Firmware
    /// UEFI: OVMF's code (read-only) and the VM's own variable store.
    public var firmwareCode: String?
    public var firmwareVars: String?
    public var management: ManagementNetwork
    public var sshPort: Int
    /// The stored base the root disk is an overlay of: a confined QEMU gets it as a descriptor (it cannot open the path
    /// in the overlay's header).
    public var base: String? = nil
    public var baseFormat: ImageFormat? = nil

    /// Debian's `ovmf` (4 MiB variant, no secure boot: cloud images' shim is not needed then).
    public static let ovmfCode = "/usr/share/OVMF/OVMF_CODE_4M.fd"
    public static let ovmfVars = "/usr/share/OVMF/OVMF_VARS_4M.fd"
}
