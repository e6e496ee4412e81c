import VMCtlModel

/// Field-by-field differences between the spec a VM runs with and the one the manifest wants.
enum VMDiff {
    /// `runningOn` is the VMM the VM really runs on: naming that one explicitly does not move the VM.
    static func diffs(from old: VMSpec, to new: VMSpec, runningOn backend: BackendKind? = nil) -> [FieldDiff] {
        var diffs: [FieldDiff] = []
        func add(_ field: String, _ before: String?, _ after: String?, rule: String? = nil) {
            guard before != after else { return }
            diffs.append(FieldDiff(field: field, before: before, after: after, impact: FieldRules.impact(ofVMField: rule ?? field)))
        }
        add("cpus", "\(old.cpus)", "\(new.cpus)")
        add("memory", old.memory.description, new.memory.description)
        let sameVMM = backend.map { new.backend.rawValue == $0.rawValue } ?? false
        add("backend", old.backend.rawValue, new.backend.rawValue, rule: sameVMM ? "backend (same VMM)" : nil)
        add("kernel.image", old.kernel?.image ?? "(default guest)", new.kernel?.image ?? "(default guest)", rule: "kernel")
        add("kernel.initrd", old.kernel?.initrd, new.kernel?.initrd, rule: "kernel")
        add("kernel.cmdline", old.kernel?.cmdline.map(quoted), new.kernel?.cmdline.map(quoted), rule: "kernel")
        nicDiffs(old.networks, new.networks, into: &diffs)
        diskDiffs(old.disks, new.disks, into: &diffs)
        add("dependsOn", list(old.dependsOn), list(new.dependsOn))
        add("runStrategy", old.runStrategy.rawValue, new.runStrategy.rawValue)
        add("readiness.consoleMarker", old.readiness.consoleMarker.map(quoted), new.readiness.consoleMarker.map(quoted), rule: "readiness")
        add("readiness.timeout", DurationParser.format(old.readiness.timeout), DurationParser.format(new.readiness.timeout), rule: "readiness")
        for key in Set(old.labels.keys).union(new.labels.keys).sorted() {
            add("labels.\(key)", old.labels[key], new.labels[key], rule: "labels")
        }
        return diffs
    }

    private static func nicDiffs(_ old: [NICSpec], _ new: [NICSpec], into diffs: inout [FieldDiff]) {
        let impact = FieldRules.impact(ofVMField: "networks")
        guard old.map(\.network) == new.map(\.network) else {
            diffs.append(FieldDiff(field: "networks", before: list(old.map(\.network)), after: list(new.map(\.network)), impact: impact))
            return
        }
        for (index, (a, b)) in zip(old, new).enumerated() {
            if a.ip != b.ip {
                diffs.append(FieldDiff(field: "networks[\(index)].ip", before: a.ip?.description ?? "(automatic)", after: b.ip?.description ?? "(automatic)", impact: impact))
            }
            if a.mac != b.mac {
                diffs.append(FieldDiff(field: "networks[\(index)].mac", before: a.mac?.description ?? "(automatic)", after: b.mac?.description ?? "(automatic)", impact: impact))
            }
        }
    }

    private static func diskDiffs(_ old: [DiskSpec], _ new: [DiskSpec], into diffs: inout [FieldDiff]) {
        guard old.map(\.volume) == new.map(\.volume) else {
            diffs.append(FieldDiff(field: "disks", before: list(old.map(\.volume)), after: list(new.map(\.volume)),
                                   impact: FieldRules.impact(ofVMField: "disks")))
            return
        }
        for (index, (a, b)) in zip(old, new).enumerated() {
            if a.readOnly != b.readOnly {
                diffs.append(FieldDiff(field: "disks[\(index)].readOnly", before: "\(a.readOnly)", after: "\(b.readOnly)",
                                       impact: FieldRules.impact(ofVMField: "disks.readOnly")))
            }
            if a.mountPoint != b.mountPoint {
                diffs.append(FieldDiff(field: "disks[\(index)].mountPoint", before: a.mountPoint, after: b.mountPoint,
                                       impact: FieldRules.impact(ofVMField: "disks.mountPoint")))
            }
        }
    }

    /// Free text may hold spaces and arrows; quotes show where a value starts and ends.
    static func quoted(_ text: String) -> String { "\"\(text)\"" }

    static func list(_ items: [String]) -> String { "[" + items.joined(separator: ", ") + "]" }
}
