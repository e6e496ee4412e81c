/// The micro guest kernel's configuration: a fragment applied on top of `make allnoconfig`, so everything it does not
/// name is off. What the default guest uses and nothing else (docs/architecture.md, "The default guest"): x86-64 SMP, the 8250
/// console, ACPI (power button, vmctl-vmm's DSDT), PCI with MSI and virtio-mmio and virtio-pci, virtio blk, net,
/// console, balloon and rng, ext4, vfat and iso9660 (cloud-init seeds), tmpfs and devtmpfs, IPv4, unix and packet
/// sockets, ptys (exec -t), KVM guest support (kvmclock). No modules, no tracing, kprobes or debug info.
public enum MicroKernelConfig {
    public static let fragment = """
        CONFIG_64BIT=y
        CONFIG_SMP=y
        CONFIG_NR_CPUS=8
        CONFIG_LOCALVERSION="-vmctl-micro"
        CONFIG_DEFAULT_HOSTNAME="vmctl"
        CONFIG_SYSVIPC=y
        CONFIG_POSIX_MQUEUE=y
        CONFIG_NO_HZ_IDLE=y
        CONFIG_HIGH_RES_TIMERS=y
        CONFIG_PRINTK=y
        CONFIG_BUG=y
        CONFIG_MULTIUSER=y
        CONFIG_FUTEX=y
        CONFIG_EPOLL=y
        CONFIG_SIGNALFD=y
        CONFIG_TIMERFD=y
        CONFIG_EVENTFD=y
        CONFIG_SHMEM=y
        CONFIG_AIO=y
        CONFIG_FILE_LOCKING=y
        CONFIG_POSIX_TIMERS=y
        CONFIG_BLK_DEV_INITRD=y
        CONFIG_RD_GZIP=y
        CONFIG_BINFMT_ELF=y
        CONFIG_BINFMT_SCRIPT=y
        CONFIG_HYPERVISOR_GUEST=y
        CONFIG_PARAVIRT=y
        CONFIG_KVM_GUEST=y
        CONFIG_ACPI=y
        CONFIG_ACPI_BUTTON=y
        CONFIG_PCI=y
        CONFIG_PCI_MSI=y
        CONFIG_INPUT=y
        CONFIG_INPUT_EVDEV=y
        CONFIG_TTY=y
        CONFIG_UNIX98_PTYS=y
        CONFIG_SERIAL_8250=y
        CONFIG_SERIAL_8250_CONSOLE=y
        CONFIG_VIRTIO_MENU=y
        CONFIG_VIRTIO=y
        CONFIG_VIRTIO_PCI=y
        CONFIG_VIRTIO_MMIO=y
        CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES=y
        CONFIG_VIRTIO_BALLOON=y
        CONFIG_VIRTIO_CONSOLE=y
        CONFIG_HW_RANDOM=y
        CONFIG_HW_RANDOM_VIRTIO=y
        CONFIG_BLOCK=y
        CONFIG_BLK_DEV=y
        CONFIG_VIRTIO_BLK=y
        CONFIG_NET=y
        CONFIG_INET=y
        CONFIG_UNIX=y
        CONFIG_PACKET=y
        CONFIG_NETDEVICES=y
        CONFIG_NET_CORE=y
        CONFIG_VIRTIO_NET=y
        CONFIG_DEVTMPFS=y
        CONFIG_DEVTMPFS_MOUNT=y
        CONFIG_PROC_FS=y
        CONFIG_SYSFS=y
        CONFIG_TMPFS=y
        CONFIG_EXT4_FS=y
        CONFIG_MSDOS_FS=y
        CONFIG_VFAT_FS=y
        CONFIG_ISO9660_FS=y
        CONFIG_NLS=y
        CONFIG_NLS_CODEPAGE_437=y
        CONFIG_NLS_ISO8859_1=y
        CONFIG_MODULES=n
        CONFIG_FTRACE=n
        CONFIG_KPROBES=n

        """

    /// The fragment as Kconfig reads it: `CONFIG_X=n` written as `# CONFIG_X is not set`.
    static var allconfig: String {
        fragment.split(separator: "\n").map { line in
            line.hasSuffix("=n") ? "# \(line.dropLast(2)) is not set" : String(line)
        }.joined(separator: "\n") + "\n"
    }

    /// The fragment's options that a generated .config does not have as asked (empty: every one took).
    static func unmet(by config: String) -> [String] {
        let lines = Set(config.split(separator: "\n").map(String.init))
        return fragment.split(separator: "\n").map(String.init).filter { option in
            if option.hasSuffix("=n") {
                let name = option.dropLast(2)
                return lines.contains { $0.hasPrefix(name + "=") }
            }
            return !lines.contains(option)
        }
    }
}
