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
    /// Network interfaces in guest order (the first is eth0). Absent in older specs: decoded as none.
    public var nets: [Net]
    /// Absolute path of the file that receives the serial console's output (appended to).
    public var consoleLog: String
    /// Absolute path of the unix socket the VMM serves the control protocol on.
    public var controlSocket: String
    /// Whether `console-input` (and a console socket client) may feed the serial console.
    public var serialInput: Bool
    /// Absolute path of a unix socket serving the serial console interactively (one client at a time), or nil.
    public var consoleSocket: String?
    /// Absolute path of a unix socket that carries the virtio-console's port 1, named `vmctl.agent` (MULTIPORT):
    /// the guest agent's channel; the guest sees the client connect and hang up. Nil: no such port. The console
    /// port (the guest's hvc0) writes to the console log either way.
    public var agentSocket: String?
    /// Set when vmctl-launch opened everything for a confined VMM: use these descriptors, open no path.
    public var descriptors: Descriptors?

    public struct Disk: Codable, Equatable, Sendable {
        /// Absolute path of a raw image file.
        public var path: String
        public var readOnly: Bool

        public init(path: String, readOnly: Bool) {
            self.path = path
            self.readOnly = readOnly
        }
    }

    /// One virtio-net device and where its frames go: exactly one of `tap` and `switchSocket`.
    public struct Net: Codable, Equatable, Sendable {
        /// The guest-visible unicast MAC, six hex octets separated by colons ("52:54:00:12:34:56").
        public var mac: String
        /// An existing tap interface (the runtime creates it; the VMM only opens it).
        public var tap: String?
        /// A vmctl-switch unix socket (length-prefixed frames, like QEMU's stream netdev).
        public var switchSocket: String?

        public init(mac: String, tap: String? = nil, switchSocket: String? = nil) {
            self.mac = mac
            self.tap = tap
            self.switchSocket = switchSocket
        }

        /// The six octets of `mac`, or nil when it is not six two-digit hex octets.
        public var macBytes: [UInt8]? {
            let parts = mac.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 6 else { return nil }
            let bytes = parts.compactMap { $0.utf8.count == 2 ? UInt8($0, radix: 16) : nil }
            return bytes.count == 6 ? bytes : nil
        }
    }

    public init(name: String, vcpus: Int, memoryMiB: Int, kernel: String, initrd: String? = nil, cmdline: String,
                disks: [Disk] = [], nets: [Net] = [], consoleLog: String, controlSocket: String, serialInput: Bool = false,
                consoleSocket: String? = nil, agentSocket: String? = nil, descriptors: Descriptors? = nil,
                version: Int = LaunchSpec.currentVersion) {
        self.version = version
        self.name = name
        self.vcpus = vcpus
        self.memoryMiB = memoryMiB
        self.kernel = kernel
        self.initrd = initrd
        self.cmdline = cmdline
        self.disks = disks
        self.nets = nets
        self.consoleLog = consoleLog
        self.controlSocket = controlSocket
        self.serialInput = serialInput
        self.consoleSocket = consoleSocket
        self.agentSocket = agentSocket
        self.descriptors = descriptors
    }
}

extension LaunchSpec {
    private enum CodingKeys: String, CodingKey {
        case version, name, vcpus, memoryMiB, kernel, initrd, cmdline, disks, nets, consoleLog, controlSocket, serialInput
        case consoleSocket, agentSocket, descriptors
    }

    /// Written out so `nets` may be absent (a spec from before networks); everything else as synthesized
    /// (the optional sockets are absent when nil).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decode(Int.self, forKey: .version)
        name = try c.decode(String.self, forKey: .name)
        vcpus = try c.decode(Int.self, forKey: .vcpus)
        memoryMiB = try c.decode(Int.self, forKey: .memoryMiB)
        kernel = try c.decode(String.self, forKey: .kernel)
        initrd = try c.decodeIfPresent(String.self, forKey: .initrd)
        cmdline = try c.decode(String.self, forKey: .cmdline)
        disks = try c.decode([Disk].self, forKey: .disks)
        nets = try c.decodeIfPresent([Net].self, forKey: .nets) ?? []
        consoleLog = try c.decode(String.self, forKey: .consoleLog)
        controlSocket = try c.decode(String.self, forKey: .controlSocket)
        serialInput = try c.decode(Bool.self, forKey: .serialInput)
        consoleSocket = try c.decodeIfPresent(String.self, forKey: .consoleSocket)
        agentSocket = try c.decodeIfPresent(String.self, forKey: .agentSocket)
        descriptors = try c.decodeIfPresent(Descriptors.self, forKey: .descriptors)
    }
}
