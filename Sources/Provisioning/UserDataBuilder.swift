import VMCtlModel
import Yams

/// The cloud-config vmctl generates for a request, before `userData` is merged in (docs/provisioning.md).
enum UserDataBuilder {
    static let vmctlUser = "vmctl"
    static let sudoAll = "ALL=(ALL) NOPASSWD:ALL"

    static func entries(_ request: SeedRequest) -> [UserDataEntry] {
        let spec = request.cloudInit ?? CloudInitSpec()
        var entries: [UserDataEntry] = [
            .init(key: "hostname", value: CloudConfigYAML.string(request.vm), rule: .owned),
            // Keeps every line of /etc/hosts but the 127.0.1.1 one (`true` would rewrite the file at every boot).
            .init(key: "manage_etc_hosts", value: CloudConfigYAML.string("localhost"), rule: .owned),
            .init(key: "bootcmd", value: CloudConfigYAML.list([
                CloudConfigYAML.strings(["sh", "-c", EtcHostsBlock.script(stack: request.stack, hosts: request.hosts)]),
            ]), rule: .concatenated),
            .init(key: "locale", value: CloudConfigYAML.string("C.UTF-8"), rule: .overridable),
            .init(key: "ssh_pwauth", value: CloudConfigYAML.bool(false), rule: .overridable),
            .init(key: "ssh_deletekeys", value: CloudConfigYAML.bool(true), rule: .owned),
            // With `ssh_keys` cloud-init generates no host keys at all, so `ssh_genkeytypes` is not written
            // (22.4's schema rejects `[]`: minItems 1).
            .init(key: "ssh_keys", value: CloudConfigYAML.mapping([
                ("ed25519_private", CloudConfigYAML.string(request.hostKey.privateKey)),
                ("ed25519_public", CloudConfigYAML.string(request.hostKey.publicKey)),
            ]), rule: .owned),
            .init(key: "users", value: CloudConfigYAML.list(
                [CloudConfigYAML.string("default"), vmctlUser(request.authorizedKey)] + spec.users.map(user)
            ), rule: .concatenated),
        ]
        if !spec.writeFiles.isEmpty {
            entries.append(.init(key: "write_files", value: CloudConfigYAML.list(spec.writeFiles.map(file)), rule: .concatenated))
        }
        if !request.mounts.isEmpty {
            // `nofail`: a volume that is missing or unformatted never stops the boot (and so SSH) from coming up.
            entries.append(.init(key: "mounts", value: CloudConfigYAML.list(request.mounts.map { mount in
                CloudConfigYAML.strings([mount.device, mount.mountPoint, "auto", "defaults,nofail" + (mount.readOnly ? ",ro" : ""), "0", "2"])
            }), rule: .concatenated))
        }
        if !spec.runcmd.isEmpty {
            entries.append(.init(key: "runcmd", value: CloudConfigYAML.strings(spec.runcmd), rule: .concatenated))
        }
        return entries
    }

    static func vmctlUser(_ authorizedKey: String) -> Node {
        CloudConfigYAML.mapping([
            ("name", CloudConfigYAML.string(vmctlUser)),
            ("sudo", CloudConfigYAML.string(sudoAll)),
            ("shell", CloudConfigYAML.string("/bin/bash")),
            ("lock_passwd", CloudConfigYAML.bool(true)),
            ("ssh_authorized_keys", CloudConfigYAML.strings([authorizedKey])),
        ])
    }

    static func user(_ user: CloudInitUser) -> Node {
        var fields: [(String, Node)] = [("name", CloudConfigYAML.string(user.name))]
        if user.sudo { fields.append(("sudo", CloudConfigYAML.string(sudoAll))) }
        if let shell = user.shell { fields.append(("shell", CloudConfigYAML.string(shell))) }
        if !user.groups.isEmpty { fields.append(("groups", CloudConfigYAML.strings(user.groups))) }
        if !user.sshAuthorizedKeys.isEmpty { fields.append(("ssh_authorized_keys", CloudConfigYAML.strings(user.sshAuthorizedKeys))) }
        return CloudConfigYAML.mapping(fields)
    }

    /// `write_files` runs before `users-groups`, so a file owned by a user the seed creates is deferred to the final
    /// stage (`defer: true`, cloud-init ≥ 21.4); root's files are written at once.
    static func file(_ file: CloudInitFile) -> Node {
        var fields: [(String, Node)] = [
            ("path", CloudConfigYAML.string(file.path)),
            ("content", CloudConfigYAML.string(file.content)),
        ]
        if let permissions = file.permissions { fields.append(("permissions", CloudConfigYAML.string(permissions))) }
        if let owner = file.owner {
            fields.append(("owner", CloudConfigYAML.string(owner)))
            if owner.split(separator: ":", omittingEmptySubsequences: false).contains(where: { $0 != "root" && !$0.isEmpty }) {
                fields.append(("defer", CloudConfigYAML.bool(true)))
            }
        }
        return CloudConfigYAML.mapping(fields)
    }
}
