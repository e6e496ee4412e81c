import FoundationEssentials

/// Everything `vmctl-vmm` needs to build and run one VM. Written by the runtime as JSON; versioned so a
/// VMM refuses a spec it does not understand instead of guessing. Unknown fields are errors.
public struct LaunchSpec: Codable, Equatable, Sendable {
    public static let currentVersion = 1

    public var version: Int
    /// The VM's name, for logs and `describe`.
    public var name: String
    public var vcpus: Int
    /// Guest RAM in MiB.
    public var memoryMiB: Int
    /// Absolute path of the kernel (bzImage or ELF vmlinux).
    public var kernel: String
    public var initrd: String?
    public var cmdline: String
    public var disks: [Disk]
    /// Absolute path of the file that receives the serial console's output (appended to).
    public var consoleLog: String
    /// Absolute path of the unix socket the VMM serves the control protocol on.
    public var controlSocket: String
    /// Whether `console-input` may feed the serial console.
    public var serialInput: Bool

    public struct Disk: Codable, Equatable, Sendable {
        /// Absolute path of a raw image file.
        public var path: String
        public var readOnly: Bool

        public init(path: String, readOnly: Bool) {
            self.path = path
            self.readOnly = readOnly
        }
    }

    public init(name: String, vcpus: Int, memoryMiB: Int, kernel: String, initrd: String? = nil, cmdline: String,
                disks: [Disk] = [], consoleLog: String, controlSocket: String, serialInput: Bool = false,
                version: Int = LaunchSpec.currentVersion) {
        self.version = version
        self.name = name
        self.vcpus = vcpus
        self.memoryMiB = memoryMiB
        self.kernel = kernel
        self.initrd = initrd
        self.cmdline = cmdline
        self.disks = disks
        self.consoleLog = consoleLog
        self.controlSocket = controlSocket
        self.serialInput = serialInput
    }
}
