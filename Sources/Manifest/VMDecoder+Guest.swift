import VMCtlModel

/// `image`, `firmware`, `cloudInit` and `ports`: what a VM booted from a cloud image declares.
extension ValueDecoder {
    static let imageFields = ["path", "sha256", "size"]
    static let cloudInitFields = ["users", "writeFiles", "runcmd", "userData"]
    static let userFields = ["name", "sudo", "sshAuthorizedKeys", "shell", "groups"]
    static let writeFileFields = ["path", "content", "permissions", "owner"]
    static let portFields = ["host", "guest", "protocol", "address"]

    func image(_ node: YAMLNode, _ path: String, owner: SourceLocation?) -> Located<ImageSpec>? {
        guard let reader = MappingReader(node, path: path, what: path, allowed: Self.imageFields, sink: sink, owner: owner) else { return nil }
        let file = reader.required("path", what: path, sink: sink, hint: "image.path is a qcow2 or raw disk image, relative to this file")
            .flatMap { self.path($0.node, $0.path) }
        var sha: Located<String>?
        if let (node, path) = reader.value("sha256"), let text = string(node, path) {
            let hex = text.value.lowercased()
            if hex.utf8.count == 64, hex.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) {
                sha = Located(value: hex, place: text.place)
            } else {
                sink.error(text.place, "\(path) must be 64 hex digits (a SHA-256), found '\(text.value.truncatedForMessage)'",
                           hint: "compute it with: sha256sum \(file?.value ?? "IMAGE")")
            }
        }
        let size = reader.value("size").flatMap { self.size($0.node, $0.path) }
        if let size, size.value.bytes % ByteSize.mib != 0 {
            sink.error(size.place, "\(size.place.path): \(size.value) is not a whole number of MiB")
        }
        guard let file, reader.has("sha256") == (sha != nil), reader.has("size") == (size != nil) else { return nil }
        return Located(value: ImageSpec(path: file.value, sha256: sha?.value, size: size?.value), place: place(node, path))
    }

    func cloudInit(_ node: YAMLNode, _ path: String, owner: SourceLocation?) -> CloudInitSpec? {
        guard let reader = MappingReader(node, path: path, what: path, allowed: Self.cloudInitFields, sink: sink, owner: owner) else { return nil }
        var spec = CloudInitSpec()
        var complete = true
        if let (node, path) = reader.value("users"), let items = list(node, path) {
            var seen: [String: Place] = [:]
            for item in items {
                guard let user = user(item.node, item.path) else { complete = false; continue }
                if let first = seen[user.value.name] {
                    sink.error(user.place, "\(item.path): user '\(user.value.name)' is declared twice (first at line \(first.location.line))")
                    complete = false
                }
                seen[user.value.name] = user.place
                spec.users.append(user.value)
            }
        }
        if let (node, path) = reader.value("writeFiles"), let items = list(node, path) {
            for item in items {
                guard let file = writeFile(item.node, item.path) else { complete = false; continue }
                spec.writeFiles.append(file)
            }
        }
        if let (node, path) = reader.value("runcmd"), let items = list(node, path) {
            for item in items {
                guard let command = string(item.node, item.path) else { complete = false; continue }
                spec.runcmd.append(command.value)
            }
        }
        if let (node, path) = reader.value("userData") {
            guard let file = self.path(node, path) else { return nil }
            spec.userData = file.value
        }
        return complete ? spec : nil
    }

    private func user(_ node: YAMLNode, _ path: String) -> Located<CloudInitUser>? {
        guard let reader = MappingReader(node, path: path, what: path, allowed: Self.userFields, sink: sink) else { return nil }
        let name = reader.required("name", what: path, sink: sink).flatMap { string($0.node, $0.path) }
        if let name, !Self.isUnixUserName(name.value) {
            sink.error(name.place, "\(name.place.path): '\(name.value.truncatedForMessage)' is not a valid user name",
                       hint: "lowercase letters, digits, '_' and '-', starting with a letter or '_', at most 32 characters")
            return nil
        }
        if let name, name.value == "vmctl" || name.value == "root" {
            sink.error(name.place, "\(name.place.path): '\(name.value)' is reserved",
                       hint: name.value == "vmctl" ? "vmctl adds its own user 'vmctl' to every image VM (vmctl ssh logs in as it)" : "give root's keys to a user with sudo: true instead")
            return nil
        }
        let sudo = reader.value("sudo").flatMap { bool($0.node, $0.path) }
        let shell = reader.value("shell").flatMap { string($0.node, $0.path) }
        var keys: [String] = []
        if let (node, path) = reader.value("sshAuthorizedKeys"), let items = list(node, path) {
            for item in items {
                guard let key = string(item.node, item.path) else { return nil }
                let parts = key.value.split(separator: " ")
                guard parts.count >= 2, parts[0].hasPrefix("ssh-") || parts[0].hasPrefix("ecdsa-") || parts[0].hasPrefix("sk-"),
                      !key.value.contains("\n") else {
                    sink.error(key.place, "\(item.path) is not an OpenSSH public key", hint: "one line as in ~/.ssh/id_ed25519.pub: 'ssh-ed25519 AAAA… comment'")
                    return nil
                }
                keys.append(key.value)
            }
        }
        var groups: [String] = []
        if let (node, path) = reader.value("groups"), let items = list(node, path) {
            for item in items {
                guard let group = string(item.node, item.path) else { return nil }
                groups.append(group.value)
            }
        }
        guard let name, reader.has("sudo") == (sudo != nil), reader.has("shell") == (shell != nil) else { return nil }
        return Located(value: CloudInitUser(name: name.value, sudo: sudo?.value ?? false, sshAuthorizedKeys: keys,
                                            shell: shell?.value, groups: groups), place: name.place)
    }

    private func writeFile(_ node: YAMLNode, _ path: String) -> CloudInitFile? {
        guard let reader = MappingReader(node, path: path, what: path, allowed: Self.writeFileFields, sink: sink) else { return nil }
        let file = reader.required("path", what: path, sink: sink).flatMap { string($0.node, $0.path) }
        if let file, !file.value.hasPrefix("/") {
            sink.error(file.place, "\(file.place.path) must be an absolute path in the guest, found '\(file.value.truncatedForMessage)'")
            return nil
        }
        let content = reader.required("content", what: path, sink: sink).flatMap { string($0.node, $0.path, allowEmpty: true) }
        let permissions = reader.value("permissions").flatMap { string($0.node, $0.path) }
        if let permissions, !(permissions.value.utf8.count == 4 && permissions.value.utf8.allSatisfy({ (0x30...0x37).contains($0) })) {
            sink.error(permissions.place, "\(permissions.place.path) must be four octal digits such as \"0644\", found '\(permissions.value.truncatedForMessage)'",
                       hint: "quote it, or YAML reads 0644 as the number 420")
            return nil
        }
        let owner = reader.value("owner").flatMap { string($0.node, $0.path) }
        guard let file, let content, reader.has("permissions") == (permissions != nil), reader.has("owner") == (owner != nil) else { return nil }
        return CloudInitFile(path: file.value, content: content.value, permissions: permissions?.value, owner: owner?.value)
    }

    /// Ports with their places, for the stack-wide conflict check.
    func port(_ node: YAMLNode, _ path: String) -> Located<PortForward>? {
        guard let reader = MappingReader(node, path: path, what: path, allowed: Self.portFields, sink: sink) else { return nil }
        let host = reader.required("host", what: path, sink: sink).flatMap { int($0.node, $0.path, range: 1...65535) }
        let guest = reader.required("guest", what: path, sink: sink).flatMap { int($0.node, $0.path, range: 1...65535) }
        let proto = reader.value("protocol").flatMap { choice($0.node, $0.path, PortProtocol.self) }
        let address = reader.value("address").flatMap { ipv4($0.node, $0.path) }
        guard let host, let guest, reader.has("protocol") == (proto != nil), reader.has("address") == (address != nil) else { return nil }
        return Located(value: PortForward(host: host.value, guest: guest.value, protocol: proto?.value ?? .tcp,
                                          address: address?.value ?? PortForward.defaultAddress), place: host.place)
    }

    static func isUnixUserName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...32).contains(bytes.count), let first = bytes.first,
              (0x61...0x7A).contains(first) || first == 0x5F else { return false }
        return bytes.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F || $0 == 0x2D }
    }
}
