import VMCtlModel

extension SeedRequest {
    /// User names vmctl or cloud-init reserve: `vmctl` is vmctl's own login, `default` is the image's default user.
    static let reservedUserNames: Set<String> = ["vmctl", "root", "default"]

    /// Throws `invalidRequest` naming the first inconsistency. Names end up in shell commands and YAML, so they
    /// must be DNS labels; keys must be single lines.
    func validate() throws {
        if let problem = ResourceName.problem(with: stack) { throw invalid("stack name '\(stack)' \(problem)") }
        if let problem = ResourceName.problem(with: vm) { throw invalid("VM name '\(vm)' \(problem)") }
        for host in hosts {
            if let problem = ResourceName.problem(with: host.name) { throw invalid("host name '\(host.name)' \(problem)") }
        }
        if nics.isEmpty { throw invalid("VM '\(vm)' has no NIC (the management NIC is always one)") }
        for (index, nic) in nics.enumerated() {
            guard (1...32).contains(nic.prefixLength) else {
                throw invalid("NIC \(index) (\(nic.mac)) has the prefix length /\(nic.prefixLength); 1 to 32 are allowed")
            }
            if nic.mac.isMulticast || nic.mac.isZero { throw invalid("NIC \(index) has the MAC address \(nic.mac), which no NIC can own") }
        }
        let macs = nics.map(\.mac)
        if let twice = macs.first(where: { mac in macs.filter { $0 == mac }.count > 1 }) {
            throw invalid("two NICs have the MAC address \(twice)")
        }
        let gateways = nics.filter { $0.gateway != nil }
        if gateways.count > 1 {
            throw invalid("NICs \(gateways.map { "\($0.mac)" }.joined(separator: " and ")) both carry a gateway; at most one default route is allowed")
        }
        try checkKeyLine(authorizedKey, what: "the stack's public key")
        try checkKeyLine(hostKey.publicKey, what: "the host public key")
        guard hostKey.privateKey.hasPrefix("-----BEGIN OPENSSH PRIVATE KEY-----") else {
            throw invalid("the host private key is not an OpenSSH private key")
        }
        for user in cloudInit?.users ?? [] where Self.reservedUserNames.contains(user.name) {
            throw invalid("cloudInit.users may not declare the user '\(user.name)' (reserved: \(Self.reservedUserNames.sorted().joined(separator: ", ")))")
        }
        let names = cloudInit?.users.map(\.name) ?? []
        if let twice = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            throw invalid("cloudInit.users declares the user '\(twice)' twice")
        }
    }

    private func checkKeyLine(_ key: String, what: String) throws {
        let fields = key.split(separator: " ")
        guard fields.count >= 2, !key.contains("\n"), fields[0].hasPrefix("ssh-") || fields[0].hasPrefix("ecdsa-") else {
            throw invalid("\(what) is not a single OpenSSH public key line: '\(key.prefix(40))'")
        }
    }

    private func invalid(_ message: String) -> ProvisioningError { .invalidRequest(message) }
}
