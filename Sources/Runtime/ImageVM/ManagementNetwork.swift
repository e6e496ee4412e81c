import VMCtlModel

/// The NIC through which vmctl reaches an image VM without root: QEMU's user-mode network (slirp) with
/// `restrict=on`, so the guest can send nothing beyond it, and host forwards from the host's addresses to the
/// guest's SSH and the manifest's ports. It works the same whatever the VM's stack networks are (isolated,
/// bridge, nat or none). The guest gets a static address there and no default route.
public struct ManagementNetwork: Sendable, Equatable {
    /// Candidates in order; the first that overlaps none of the stack's subnets is used.
    static let candidates = ["10.0.2.0/24", "172.31.254.0/24", "192.168.254.0/24", "100.64.254.0/24"]

    public var subnet: IPv4Subnet
    public var mac: MACAddress

    /// QEMU's host side of the user network (`host=`): the guest sees the host there.
    public var hostAddress: IPv4Address { IPv4Address(subnet.network.value + 2) }
    /// The guest's static address (as QEMU's first DHCP address would be).
    public var guestAddress: IPv4Address { IPv4Address(subnet.network.value + 15) }

    /// Nil when every candidate overlaps a stack subnet (the manifest would have to free one).
    public static func choose(stack: String, vm: String, avoiding subnets: [IPv4Subnet]) -> ManagementNetwork? {
        for text in candidates {
            guard case .success(let subnet) = IPv4Subnet.parse(text), !subnets.contains(where: { $0.overlaps(subnet) }) else { continue }
            // NIC index 255 never collides with a stack NIC's derived MAC (at most 8 NICs).
            return ManagementNetwork(subnet: subnet, mac: StableMAC.derive(stack: stack, vm: vm, nic: 255))
        }
        return nil
    }

    /// `-netdev user,…` with the SSH forward first, then the manifest's ports.
    public func netdev(id: String, sshPort: Int, ports: [PortForward]) -> String {
        var parts = ["user", "id=\(id)", "restrict=on", "net=\(subnet)", "host=\(hostAddress)",
                     "dhcpstart=\(guestAddress)", "hostfwd=tcp:127.0.0.1:\(sshPort)-\(guestAddress):22"]
        for port in ports {
            parts.append("hostfwd=\(port.protocol.rawValue):\(port.address):\(port.host)-\(guestAddress):\(port.guest)")
        }
        return parts.joined(separator: ",")
    }
}
