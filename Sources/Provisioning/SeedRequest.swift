import VMCtlModel

/// Everything the NoCloud seed of one image VM is made from. The runtime fills it in; `NoCloudSeed` renders it.
public struct SeedRequest: Hashable, Sendable {
    /// One of the VM's NICs, configured statically (never DHCP).
    public struct NIC: Hashable, Sendable {
        public var mac: MACAddress
        public var address: IPv4Address
        public var prefixLength: Int
        /// The default route's next hop; set on at most one NIC of the request.
        public var gateway: IPv4Address?

        public init(mac: MACAddress, address: IPv4Address, prefixLength: Int, gateway: IPv4Address? = nil) {
            self.mac = mac
            self.address = address
            self.prefixLength = prefixLength
            self.gateway = gateway
        }
    }

    /// A name the VM resolves through /etc/hosts: another VM of the stack on a network it shares.
    public struct Host: Hashable, Sendable {
        public var name: String
        public var address: IPv4Address

        public init(name: String, address: IPv4Address) {
            self.name = name
            self.address = address
        }
    }

    /// A volume the guest mounts (cloud-init `mounts`, written to /etc/fstab with `nofail`).
    public struct Mount: Hashable, Sendable {
        public var device: String
        public var mountPoint: String
        public var readOnly: Bool

        public init(device: String, mountPoint: String, readOnly: Bool) {
            self.device = device
            self.mountPoint = mountPoint
            self.readOnly = readOnly
        }
    }

    public var stack: String
    /// The VM's name, which becomes its hostname.
    public var vm: String
    public var cloudInit: CloudInitSpec?
    /// In the order the runtime attaches them (the management NIC is one of them, without a gateway).
    public var nics: [NIC]
    /// Sorted by name and address in the seed, so the order given here never changes the instance-id.
    public var hosts: [Host]
    /// The manifest's volumes with a mountPoint, by guest device (`/dev/vdb`, …).
    public var mounts: [Mount] = []
    /// The stack key's public line (`StackSSHKey.publicKey`), authorized for the `vmctl` user.
    public var authorizedKey: String
    /// The VM's SSH host key (`HostKey.keyPair`), installed by cloud-init instead of generated keys.
    public var hostKey: SSHKeyPair

    public init(stack: String, vm: String, cloudInit: CloudInitSpec?, nics: [NIC], hosts: [Host],
                authorizedKey: String, hostKey: SSHKeyPair) {
        self.stack = stack
        self.vm = vm
        self.cloudInit = cloudInit
        self.nics = nics
        self.hosts = hosts
        self.authorizedKey = authorizedKey
        self.hostKey = hostKey
    }
}
