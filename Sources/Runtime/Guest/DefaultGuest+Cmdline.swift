import VMCtlModel

extension DefaultGuest {
    /// The kernel command line for one VM: the base arguments, then `vmctl.hostname=`, one `vmctl.net=` per
    /// NIC, one `vmctl.mount=` per volume and one `vmctl.host=NAME:IP` per /etc/hosts entry, which the guest's
    /// `/init` reads from /proc/cmdline.
    /// Values are checked because the cmdline is split on spaces and the guest splits fields on `,` and `:`.
    public func cmdline(hostname: String, nics: [GuestNIC] = [], mounts: [GuestMount] = [],
                        hosts: [(name: String, address: IPv4Address)] = []) throws -> String {
        var parts = [baseCmdline]
        try Self.check("hostname", hostname, allowed: Self.hostnameCharacters, absolute: false)
        parts.append("vmctl.hostname=\(hostname)")
        for nic in nics {
            try Self.check("network interface", nic.interface, allowed: Self.interfaceCharacters, absolute: false)
            guard (0...32).contains(nic.prefixLength) else {
                throw GuestError.invalidCmdlineValue(field: "prefix length", value: "\(nic.prefixLength)", reason: "it must be 0 to 32")
            }
            var value = "\(nic.interface),\(nic.address)/\(nic.prefixLength)"
            if let gateway = nic.gateway { value += ",\(gateway)" }
            parts.append("vmctl.net=\(value)")
        }
        for mount in mounts {
            try Self.check("device", mount.device, allowed: Self.pathCharacters, absolute: true)
            try Self.check("mount point", mount.mountPoint, allowed: Self.pathCharacters, absolute: true)
            parts.append("vmctl.mount=\(mount.device):\(mount.mountPoint)" + (mount.readOnly ? ":ro" : ""))
        }
        for host in hosts {
            try Self.check("host name", host.name, allowed: Self.hostnameCharacters, absolute: false)
            parts.append("vmctl.host=\(host.name):\(host.address)")
        }
        return parts.joined(separator: " ")
    }

    private static let hostnameCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.")
    private static let interfaceCharacters = hostnameCharacters.union("_")
    private static let pathCharacters = interfaceCharacters.union("/+@")

    private static func check(_ field: String, _ value: String, allowed: Set<Character>, absolute: Bool) throws {
        if value.isEmpty { throw GuestError.invalidCmdlineValue(field: field, value: value, reason: "it is empty") }
        if absolute && !value.hasPrefix("/") {
            throw GuestError.invalidCmdlineValue(field: field, value: value, reason: "it must be an absolute path")
        }
        if let bad = value.first(where: { !allowed.contains($0) }) {
            throw GuestError.invalidCmdlineValue(field: field, value: value, reason: "the character '\(bad)' is not allowed (use letters, digits, '-', '_', '.'\(absolute ? ", '/'" : ""))")
        }
    }
}
