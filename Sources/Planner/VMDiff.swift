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
        imageDiffs(old, new, into: &diffs)
        add("firmware", old.image == nil ? nil : old.effectiveFirmware.rawValue, new.image == nil ? nil : new.effectiveFirmware.rawValue)
        if old.cloudInit != new.cloudInit {
            diffs.append(FieldDiff(field: "cloudInit", before: old.cloudInit.map(summary), after: new.cloudInit.map(summary),
                                   impact: FieldRules.impact(ofVMField: "cloudInit")))
        }
        add("ports", old.ports.isEmpty ? nil : list(old.ports.map(\.summary)), new.ports.isEmpty ? nil : list(new.ports.map(\.summary)))
        nicDiffs(old.networks, new.networks, into: &diffs)
        diskDiffs(old.disks, new.disks, into: &diffs)
        add("limits.cpuQuota", old.effectiveLimits.cpuQuotaPercent.map(VMLimits.formatPercent), new.effectiveLimits.cpuQuotaPercent.map(VMLimits.formatPercent), rule: "limits")
        let defaultOverhead = "\(VMLimits.defaultMemoryOverhead) (default)", defaultPids = "\(VMLimits.defaultPids) (default)"
        add("limits.memoryOverhead", old.effectiveLimits.memoryOverhead?.description ?? defaultOverhead, new.effectiveLimits.memoryOverhead?.description ?? defaultOverhead, rule: "limits")
        add("limits.pids", old.effectiveLimits.pids.map(String.init) ?? defaultPids, new.effectiveLimits.pids.map(String.init) ?? defaultPids, rule: "limits")
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

    /// A new image (another path or digest) replaces the root disk; a bigger size grows it; a smaller one is
    /// refused by the planner (`VMDiff.rootDiskShrink`).
    private static func imageDiffs(_ old: VMSpec, _ new: VMSpec, into diffs: inout [FieldDiff]) {
        let (a, b) = (old.image, new.image)
        if a?.path != b?.path || (a?.sha256 != nil && b?.sha256 != nil && a?.sha256 != b?.sha256) {
            let show: (ImageSpec?) -> String = { $0.map { $0.path + ($0.sha256.map { " (sha256 \($0.prefix(12))…)" } ?? "") } ?? "(none)" }
            diffs.append(FieldDiff(field: "image", before: show(a), after: show(b), impact: FieldRules.impact(ofVMField: "image")))
            return
        }
        guard let a, let b else { return }
        if a.sha256 != b.sha256 {
            diffs.append(FieldDiff(field: "image.sha256", before: a.sha256, after: b.sha256, impact: FieldRules.impact(ofVMField: "image.sha256 (same image)")))
        }
        if a.size != b.size {
            let grows = (b.size?.bytes ?? 0) >= (a.size?.bytes ?? 0)
            diffs.append(FieldDiff(field: "image.size", before: a.size?.description ?? "(image's size)", after: b.size?.description ?? "(image's size)",
                                   impact: FieldRules.impact(ofVMField: grows ? "image.size (grow)" : "image.size (shrink)")))
        }
    }

    /// "2 users, 1 file, 3 commands, userData ./x.yaml"
    static func summary(_ spec: CloudInitSpec) -> String {
        func count(_ n: Int, _ what: String) -> String { "\(n) \(what)\(n == 1 ? "" : "s")" }
        var parts = [count(spec.users.count, "user"), count(spec.writeFiles.count, "file"), count(spec.runcmd.count, "command")]
        if let userData = spec.userData { parts.append("userData \(userData)") }
        return parts.joined(separator: ", ")
    }

    /// Free text may hold spaces and arrows; quotes show where a value starts and ends.
    static func quoted(_ text: String) -> String { "\"\(text)\"" }

    static func list(_ items: [String]) -> String { "[" + items.joined(separator: ", ") + "]" }
}
