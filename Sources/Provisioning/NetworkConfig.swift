import Yams

/// `network-config`: netplan-style version 2, one `ethernets` entry per NIC, static addresses only.
///
/// cloud-init 22.4 facts this follows (docs/provisioning.md):
/// - entries are matched by MAC and keep the kernel's name: without `set-name`, cloud-init looks the MAC up and
///   configures that interface; a rename (`set-name`) can race udev and stall the boot for 120 s;
/// - the default route is `gateway4`: `routes: [{to: default}]` is rejected, and `to: 0.0.0.0/0` becomes a
///   `post-up route add` that fails on images without net-tools.
enum NetworkConfig {
    /// The id of the NIC at `index` in `network-config` (stable: the runtime's NIC order).
    static func id(_ index: Int) -> String { "nic\(index)" }

    static func render(_ nics: [SeedRequest.NIC]) throws -> String {
        let ethernets = nics.enumerated().map { index, nic -> (String, Node) in
            var fields: [(String, Node)] = [
                ("match", CloudConfigYAML.mapping([("macaddress", CloudConfigYAML.quoted(nic.mac.description.lowercased()))])),
                ("addresses", CloudConfigYAML.strings(["\(nic.address)/\(nic.prefixLength)"])),
                ("dhcp4", CloudConfigYAML.bool(false)),
            ]
            if let gateway = nic.gateway { fields.append(("gateway4", CloudConfigYAML.string(gateway.description))) }
            return (id(index), CloudConfigYAML.mapping(fields))
        }
        return try CloudConfigYAML.text(CloudConfigYAML.mapping([
            ("version", CloudConfigYAML.int(2)),
            ("ethernets", CloudConfigYAML.mapping(ethernets)),
        ]))
    }
}
