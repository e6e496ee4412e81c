import VMCtlModel

extension ValueDecoder {
    static let networkFields = ["subnet", "mode", "gateway", "bridge"]

    /// Nil when the network cannot be used for cross-checks (no valid subnet); its name still counts as declared.
    func network(_ node: YAMLNode, path: String, name: Located<String>, owner: SourceLocation) -> Sourced<NetworkSpec>? {
        let what = "network '\(name.value)'"
        guard let reader = MappingReader(node, path: path, what: what, allowed: Self.networkFields, sink: sink, owner: owner) else { return nil }
        var fields: [String: Place] = [:]
        var subnet: IPv4Subnet?
        if let (node, path) = reader.required("subnet", what: what, sink: sink, hint: "for example subnet: 10.10.0.0/24") {
            subnet = cidr(node, path)
            fields["subnet"] = place(node, path)
        }
        let mode = reader.value("mode").flatMap { choice($0.node, $0.path, NetworkMode.self) }
        var gateway: Located<IPv4Address>?
        if let (node, path) = reader.value("gateway") {
            gateway = ipv4(node, path)
            fields["gateway"] = place(node, path)
        }
        var bridge: Located<String>?
        if let (node, path) = reader.value("bridge") {
            bridge = bridgeName(node, path)
            if let bridge, mode?.value != .bridge {
                sink.error(bridge.place, "\(path) is only allowed with mode: bridge", hint: "add mode: bridge, or remove bridge")
            }
        }
        guard let subnet else { return nil }
        if let gateway {
            if !subnet.contains(gateway.value) {
                sink.error(gateway.place, "gateway \(gateway.value) is outside the subnet \(subnet)")
            } else if gateway.value == subnet.network || gateway.value == subnet.broadcast {
                sink.error(gateway.place, "gateway \(gateway.value) is the \(gateway.value == subnet.network ? "network" : "broadcast") address of \(subnet)",
                           hint: "the usual gateway is \(subnet.firstHost)")
            }
        }
        let spec = NetworkSpec(subnet: subnet, mode: mode?.value ?? .isolated, gateway: gateway?.value, bridge: bridge?.value)
        return Sourced(value: spec, place: name.place, fields: fields)
    }

    func cidr(_ node: YAMLNode, _ path: String) -> IPv4Subnet? {
        guard let text = string(node, path) else { return nil }
        switch IPv4Subnet.parse(text.value) {
        case .success(let subnet):
            guard (8...30).contains(subnet.prefixLength) else {
                sink.error(text.place, "\(path): a /\(subnet.prefixLength) network is not supported; use a prefix between /8 and /30")
                return nil
            }
            return subnet
        case .failure(.hostBitsSet(let meant)):
            sink.error(text.place, "\(path): \(text.value) has host bits set", hint: "did you mean \(meant)?")
        case .failure(.ipv6):
            sink.error(text.place, "\(path): IPv6 subnets are not supported yet", hint: "use an IPv4 subnet such as 10.10.0.0/24")
        case .failure(.badAddress(let address)):
            sink.error(text.place, "\(path): '\(address.truncatedForMessage)' is not an IPv4 address", hint: "write a CIDR such as 10.10.0.0/24")
        case .failure(.badPrefix(let prefix)):
            sink.error(text.place, "\(path): '/\(prefix.truncatedForMessage)' is not a prefix length from 0 to 32", hint: "write a CIDR such as 10.10.0.0/24")
        case .failure(.malformed):
            sink.error(text.place, "\(path): '\(text.value.truncatedForMessage)' is not a CIDR", hint: "write a CIDR such as 10.10.0.0/24")
        }
        return nil
    }

    func ipv4(_ node: YAMLNode, _ path: String) -> Located<IPv4Address>? {
        guard let text = string(node, path) else { return nil }
        guard let address = IPv4Address(text.value) else {
            let hint = text.value.contains("/") ? "write the address without a prefix length" : nil
            sink.error(text.place, "\(path): '\(text.value.truncatedForMessage)' is not an IPv4 address", hint: hint)
            return nil
        }
        return Located(value: address, place: text.place)
    }

    func bridgeName(_ node: YAMLNode, _ path: String) -> Located<String>? {
        guard let text = string(node, path) else { return nil }
        let valid = text.value.utf8.count <= 15 && text.value.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_.-".unicodeScalars.contains($0))
        }
        guard valid else {
            sink.error(text.place, "\(path): '\(text.value.truncatedForMessage)' is not a Linux interface name", hint: "at most 15 letters, digits, '_', '.', '-'")
            return nil
        }
        return text
    }
}
