/// How a VM with an `image` boots: the firmware runs the image's own bootloader.
public enum Firmware: String, Hashable, Sendable, Codable, CaseIterable {
    /// OVMF (Debian's `ovmf`), as Lima and most clouds boot cloud images.
    case uefi
    /// SeaBIOS, shipped with QEMU: for images with only a legacy (MBR/BIOS-boot partition) bootloader.
    case bios
}

/// The format of a base image; always passed to QEMU explicitly, never probed.
public enum ImageFormat: String, Hashable, Sendable, Codable, CaseIterable {
    case qcow2
    case raw
}

/// `vms.NAME.image`: a cloud image the VM's root disk is a copy-on-write overlay of.
public struct ImageSpec: Hashable, Sendable, Codable {
    /// Absolute path on the host (the manifest's relative path resolved against the manifest's folder).
    public var path: String
    /// Lowercase hex; checked on import when given.
    public var sha256: String?
    /// The root disk's size; nil: the image's own virtual size.
    public var size: ByteSize?

    public init(path: String, sha256: String? = nil, size: ByteSize? = nil) {
        self.path = path
        self.sha256 = sha256
        self.size = size
    }
}

/// `vms.NAME.cloudInit`: what cloud-init provisions at the first boot of each instance.
public struct CloudInitSpec: Hashable, Sendable, Codable {
    public var users: [CloudInitUser]
    public var writeFiles: [CloudInitFile]
    public var runcmd: [String]
    /// Absolute path of a raw `#cloud-config` file merged with the fields above (docs/provisioning.md).
    public var userData: String?

    public init(users: [CloudInitUser] = [], writeFiles: [CloudInitFile] = [], runcmd: [String] = [], userData: String? = nil) {
        self.users = users
        self.writeFiles = writeFiles
        self.runcmd = runcmd
        self.userData = userData
    }
}

public struct CloudInitUser: Hashable, Sendable, Codable {
    public var name: String
    /// Passwordless sudo for every command.
    public var sudo: Bool
    public var sshAuthorizedKeys: [String]
    public var shell: String?
    public var groups: [String]

    public init(name: String, sudo: Bool = false, sshAuthorizedKeys: [String] = [], shell: String? = nil, groups: [String] = []) {
        self.name = name
        self.sudo = sudo
        self.sshAuthorizedKeys = sshAuthorizedKeys
        self.shell = shell
        self.groups = groups
    }
}

public struct CloudInitFile: Hashable, Sendable, Codable {
    public var path: String
    public var content: String
    /// Octal, as cloud-init writes it ("0644"); nil: cloud-init's default.
    public var permissions: String?
    /// "user:group"; nil: root:root.
    public var owner: String?

    public init(path: String, content: String, permissions: String? = nil, owner: String? = nil) {
        self.path = path
        self.content = content
        self.permissions = permissions
        self.owner = owner
    }
}

public enum PortProtocol: String, Hashable, Sendable, Codable, CaseIterable {
    case tcp
    case udp
}

/// `vms.NAME.ports[]`: a host port forwarded to a guest port.
public struct PortForward: Hashable, Sendable, Codable {
    public static let defaultAddress = IPv4Address(0x7F00_0001)  // 127.0.0.1

    public var host: Int
    public var guest: Int
    public var `protocol`: PortProtocol
    /// The host address the forward listens on.
    public var address: IPv4Address

    public init(host: Int, guest: Int, protocol: PortProtocol = .tcp, address: IPv4Address = defaultAddress) {
        self.host = host
        self.guest = guest
        self.protocol = `protocol`
        self.address = address
    }

    enum CodingKeys: String, CodingKey { case host, guest, `protocol`, address }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(host: try c.decode(Int.self, forKey: .host), guest: try c.decode(Int.self, forKey: .guest),
                  protocol: try c.decodeIfPresent(PortProtocol.self, forKey: .protocol) ?? .tcp,
                  address: try c.decodeIfPresent(IPv4Address.self, forKey: .address) ?? Self.defaultAddress)
    }

    /// Whether both would listen on the same host socket (0.0.0.0 takes the port on every address).
    public func sharesHostPort(with other: PortForward) -> Bool {
        host == other.host && self.protocol == other.protocol
            && (address == other.address || address.value == 0 || other.address.value == 0)
    }

    /// "tcp 127.0.0.1:8080 → 80"
    public var summary: String { "\(self.protocol.rawValue) \(address):\(host) → \(guest)" }
}
