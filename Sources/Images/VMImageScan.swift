import Foundation

/// Finds which stored images the VMs of every stack use, from their records (`<state>/stacks/*/vms/*/vm.json`),
/// read as plain JSON so it depends on no record type:
///
/// - `imageDigest` (top level, written by the runtime once the VM's overlay is created on that base);
/// - `spec.image.sha256`, the digest the manifest pinned;
/// - for a VM with neither, `spec.image.path`: every stored image imported from that path counts as used.
///
/// A VM folder whose `vm.json` is missing or cannot be parsed is an error naming the file: the caller cannot tell
/// what it uses, so it must not remove anything.
public enum VMImageScan {
    public static func users(stateDirectory: String, images: [ImageEntry]) throws -> ImageUsers {
        var users: ImageUsers = [:]
        let stacks = stateDirectory + "/stacks"
        for stack in try folders(in: stacks) {
            for vm in try folders(in: "\(stacks)/\(stack)/vms") {
                let record = "\(stacks)/\(stack)/vms/\(vm)/vm.json"
                for digest in try digests(usedBy: record, images: images) {
                    users[digest, default: []].append("\(stack)/\(vm)")
                }
            }
        }
        return users.mapValues { Array(Set($0)).sorted() }
    }

    /// The digests one VM record says its VM uses.
    static func digests(usedBy record: String, images: [ImageEntry]) throws -> Set<String> {
        guard let data = FileManager.default.contents(atPath: record) else {
            throw ImageError.unreadableVMRecord(path: record, reason: "missing or unreadable")
        }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw ImageError.unreadableVMRecord(path: record, reason: "not JSON: \(error.localizedDescription)")
        }
        guard let fields = object as? [String: Any] else {
            throw ImageError.unreadableVMRecord(path: record, reason: "not a JSON object")
        }
        var digests: Set<String> = []
        if let value = fields["imageDigest"], !(value is NSNull) {
            guard let digest = value as? String else {
                throw ImageError.unreadableVMRecord(path: record, reason: "imageDigest is not a string")
            }
            digests.insert(canonical(digest))
        }
        let image = (fields["spec"] as? [String: Any])?["image"] as? [String: Any]
        if let pinned = image?["sha256"] as? String { digests.insert(canonical(pinned)) }
        if digests.isEmpty, let path = image?["path"] as? String {
            for entry in images where entry.metadata.sources.contains(path) { digests.insert(entry.digest) }
        }
        return digests
    }

    private static func canonical(_ digest: String) -> String {
        let lower = digest.lowercased()
        return lower.hasPrefix("sha256:") ? String(lower.dropFirst(7)) : lower
    }

    /// The sub-folders of `path`; none when it does not exist.
    private static func folders(in path: String) throws -> [String] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else { return [] }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            throw ImageError.unreadableVMRecord(path: path, reason: "cannot list it: \(error.localizedDescription)")
        }
        return names.sorted().filter { name in
            var folder: ObjCBool = false
            return FileManager.default.fileExists(atPath: "\(path)/\(name)", isDirectory: &folder) && folder.boolValue
        }
    }
}
