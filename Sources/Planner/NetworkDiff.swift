import VMCtlModel

enum NetworkDiff {
    static func diffs(from old: NetworkSpec, to new: NetworkSpec) -> [FieldDiff] {
        var diffs: [FieldDiff] = []
        func add(_ field: String, _ before: String?, _ after: String?) {
            guard before != after else { return }
            let impact = FieldRules.network.first { $0.field == field }?.impact ?? .recreate
            diffs.append(FieldDiff(field: field, before: before, after: after, impact: impact))
        }
        add("subnet", old.subnet.description, new.subnet.description)
        add("gateway", old.gateway.description, new.gateway.description)
        add("mode", old.mode.rawValue, new.mode.rawValue)
        add("bridge", old.bridge, new.bridge)
        return diffs
    }
}

enum VolumeRules {
    /// Changes that would lose data are refused; vmctl never deletes a volume implicitly.
    static func refusal(name: String, current: ObservedVolume, desired: VolumeSpec) -> Refusal? {
        let address = ResourceAddress(.volume, name)
        if let size = desired.size, size < current.size {
            return Refusal(address: address, message: "volume '\(name)' would shrink from \(current.size) to \(size); shrinking is refused because it cuts off data",
                           hint: "keep size at \(current.size) or more")
        }
        var changed: [String] = []
        if desired.source != current.spec.source { changed.append("source") }
        if desired.format != current.spec.format { changed.append("format") }
        if desired.filesystem != current.spec.filesystem { changed.append("filesystem") }
        guard !changed.isEmpty else { return nil }
        return Refusal(address: address, message: "volume '\(name)' exists; changing its \(changed.joined(separator: ", ")) would need a new volume and lose its data",
                       hint: "to start over, remove the volume from the manifest and apply with --prune-volumes, then add it back")
    }
}
