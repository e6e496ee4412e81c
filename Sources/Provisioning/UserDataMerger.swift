import Foundation
import Yams

/// Merges a `userData` file into the cloud-config vmctl generates (rules in docs/provisioning.md):
/// keys vmctl owns are refused, lists are concatenated (vmctl's items, then the manifest's fields, then the file's),
/// vmctl's defaults give way to the file, every other key passes through unchanged.
struct UserDataMerger {
    /// Keys vmctl owns without writing them, and why each is vmctl's.
    static let ownedKeys: [String: String] = [
        "hostname": hostnameReason,
        "fqdn": hostnameReason,
        "prefer_fqdn_over_hostname": hostnameReason,
        "preserve_hostname": hostnameReason,
        "manage_etc_hosts": "vmctl manages /etc/hosts (manage_etc_hosts: localhost, plus a block with the stack's names)",
        "ssh_keys": hostKeyReason,
        "ssh_deletekeys": hostKeyReason,
        "ssh_genkeytypes": hostKeyReason,
    ]
    static let hostnameReason = "vmctl sets the hostname to the VM's name"
    static let hostKeyReason = "vmctl installs the VM's SSH host key itself and pins it in its known_hosts"

    var file: UserDataFile
    /// The names in the manifest's `cloudInit.users`, which the file may not declare again.
    var manifestUsers: Set<String>

    /// The generated entries alone, as the document's top-level mapping (no `userData`).
    static func document(_ generated: [UserDataEntry]) -> Node {
        .mapping(.init(generated.map { (CloudConfigYAML.string($0.key), $0.value) }))
    }

    /// The merged document's top-level mapping.
    func merge(_ generated: [UserDataEntry]) throws -> Node {
        let sanitizer = UserDataSanitizer(path: file.path)
        var merged = generated.map { (key: $0.key, value: $0.value) }
        let rules = Dictionary(generated.map { ($0.key, $0.rule) }, uniquingKeysWith: { first, _ in first })
        for (keyNode, rawValue) in file.pairs {
            let keyTag = CloudConfigYAML.tagName(keyNode)
            guard case .scalar(let scalar) = keyNode, keyTag == .str || keyTag == .merge else {
                throw error(at: keyNode, "top-level keys must be names; found \(UserDataFile.kind(keyNode)) '\(keyNode.string ?? "")'")
            }
            let key = scalar.string
            if keyTag == .merge {
                throw error(at: keyNode, "a merge key (<<) at the top level is not supported; write the keys out")
            }
            if let reason = Self.ownedKeys[key] ?? (rules[key] == .owned ? "vmctl writes it" : nil) {
                throw error(at: keyNode, "\(key) cannot be set in userData: \(reason)")
            }
            var value = try sanitizer.sanitize(rawValue)
            // `runcmd:` with nothing after it: an empty list to merge, not a replacement.
            if rules[key] == .concatenated, CloudConfigYAML.tagName(value) == .null { continue }
            if key == "users" { value = try checkedUsers(value) }
            if key == "user" { try checkDefaultUser(value) }
            switch rules[key] {
            case .concatenated:
                guard case .sequence(let extra) = value, let index = merged.firstIndex(where: { $0.key == key }),
                      case .sequence(var items) = merged[index].value else {
                    throw error(at: rawValue, "\(key) must be a list to be merged with vmctl's \(key) (vmctl's entries come first)")
                }
                items.append(contentsOf: extra)
                merged[index].value = .sequence(items)
            case .overridable:
                if let index = merged.firstIndex(where: { $0.key == key }) { merged[index].value = value }
            case .owned, nil:
                merged.append((key: key, value: value))
            }
        }
        return .mapping(.init(merged.map { (CloudConfigYAML.string($0.key), $0.value) }))
    }

    /// The file's `users` without the `default` entry (vmctl's list has it already), refusing `vmctl` and the
    /// manifest's users.
    private func checkedUsers(_ value: Node) throws -> Node {
        guard case .sequence(let sequence) = value else {
            throw error(at: value, "users must be a list to be merged with vmctl's users (default, vmctl, the manifest's)")
        }
        var kept: [Node] = []
        for entry in sequence {
            let names: [String]
            switch entry {
            case .scalar(let scalar):
                names = scalar.string.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                if names == ["default"] { continue }
            case .mapping(let mapping):
                names = mapping["name"]?.string.map { [$0] } ?? []
            default:
                names = []
            }
            for name in names {
                if name == UserDataBuilder.vmctlUser {
                    throw error(at: entry, "the user 'vmctl' cannot be declared in userData: it is vmctl's own login (vmctl ssh), added to every image VM")
                }
                if manifestUsers.contains(name) {
                    throw error(at: entry, "the user '\(name)' is declared both in the manifest's cloudInit.users and in this file; declare it once")
                }
            }
            kept.append(entry)
        }
        return .sequence(.init(kept, Tag(.seq), sequence.style, sequence.mark))
    }

    /// `user:` configures the image's default user; renaming it to `vmctl` would take vmctl's login.
    private func checkDefaultUser(_ value: Node) throws {
        let name = value.string ?? value.mapping?["name"]?.string
        if name == UserDataBuilder.vmctlUser {
            throw error(at: value, "user (the image's default user) cannot be named 'vmctl': that is vmctl's own login")
        }
    }

    private func error(at node: Node, _ message: String) -> ProvisioningError {
        .userData(file: file.path, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0, message: message)
    }
}
