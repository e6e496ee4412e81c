import Planner
import VMCtlModel

/// The human form of a plan: Terraform's symbols, grouped by wave, each change with its reasons and diffs.
struct PlanView {
    var style: Style

    static func symbol(_ action: Action) -> String {
        switch action {
        case .create: return "+"
        case .delete: return "-"
        case .update: return "~"
        case .replace: return "-/+"
        case .restart: return "↻"
        case .start: return "▶"
        case .stop: return "■"
        case .reset: return "⟲"
        case .noop: return " "
        }
    }

    func paintSymbol(_ action: Action) -> String {
        let symbol = Self.symbol(action)
        switch action {
        case .create, .start: return style.green(symbol)
        case .delete, .stop: return style.red(symbol)
        case .update: return style.yellow(symbol)
        case .replace: return style.magenta(symbol)
        case .restart, .reset: return style.cyan(symbol)
        case .noop: return symbol
        }
    }

    func render(_ plan: Plan) -> String {
        var out = ""
        let active = plan.changes.filter { $0.action != .noop }
        if active.isEmpty && !plan.blocked.isEmpty && plan.refusals.isEmpty {
            let count = plan.blocked.count
            out += "No changes to make; \(count) VM\(count == 1 ? "" : "s") cannot be planned (see the errors below).\n"
        } else if active.isEmpty && !plan.refusals.isEmpty {
            // Something differs, but only in ways vmctl refuses to change: "matches the manifest" would be false.
            out += "No changes can be planned: the plan is refused (see the errors below).\n"
        } else if active.isEmpty && !plan.kept.isEmpty {
            // Resources outside the manifest still exist; "matches" alone would hide them.
            let count = plan.kept.count
            out += "No changes. Stack \"\(plan.stack)\" matches the manifest; \(count) resource\(count == 1 ? "" : "s") not in it \(count == 1 ? "is" : "are") kept.\n"
        } else if active.isEmpty {
            out += "No changes. Stack \"\(plan.stack)\" matches the manifest.\n"
        } else {
            let waves = plan.waves.count
            out += style.bold("Stack \"\(plan.stack)\": \(active.count) change\(active.count == 1 ? "" : "s") in \(waves) wave\(waves == 1 ? "" : "s")") + "\n"
            var wave = 0
            for change in active {
                if change.wave != wave {
                    wave = change.wave
                    out += "\n" + style.dim("wave \(wave)") + "\n"
                }
                out += render(change)
            }
        }
        if !plan.kept.isEmpty {
            out += "\nKept:\n"
            for kept in plan.kept { out += "  \(kept.address): \(kept.reason)\n" }
        }
        out += "\n" + capacityLine(plan.capacity) + "\n"
        if !active.isEmpty { out += summary(plan) + "\n" }
        return out
    }

    func render(_ change: Change) -> String {
        let impact = change.impact == .none ? "" : " " + style.dim("(impact: \(change.impact.rawValue))")
        var out = "  \(paintSymbol(change.action)) \(style.bold(change.address.description)): \(change.action.rawValue)\(impact)\n"
        for reason in change.reasons { out += "      \(reason)\n" }
        // A diff already told in a reason ("memory 512MiB → 1GiB requires a restart") is not repeated.
        for diff in change.diffs where !change.reasons.contains(where: { $0.hasPrefix("\(diff.field) \(diff.before ?? "none") → ") }) {
            out += "      \(render(diff))\n"
        }
        return out
    }

    func render(_ diff: FieldDiff) -> String {
        let impact = diff.impact == .none ? "" : style.dim("  (\(diff.impact.rawValue))")
        switch (diff.before, diff.after) {
        case (nil, let after?): return "\(style.green("+")) \(diff.field): \(after)\(impact)"
        case (let before?, nil): return "\(style.red("-")) \(diff.field): \(before)\(impact)"
        default: return "\(style.yellow("~")) \(diff.field): \(diff.before ?? "") → \(diff.after ?? "")\(impact)"
        }
    }

    func capacityLine(_ capacity: CapacityReport) -> String {
        func number(_ value: Double) -> String { value == value.rounded() ? "\(Int(value))" : "\(value)" }
        func bytes(_ value: Double) -> String { ByteSize(bytes: UInt64(max(0, value))).approximate }
        // A plan may lower usage and still end over the limit (it is not refused); say so rather than let it pass unseen.
        func over(_ use: CapacityUse) -> String { use.after > use.limit ? " (over the limit)" : "" }
        // Parallel changes of one wave can briefly use more than before and after: show that peak when it does.
        func peak(_ use: CapacityUse, _ format: (Double) -> String) -> String {
            use.peak > max(use.now, use.after) ? " (peak \(format(use.peak)) while applying)" : ""
        }
        let cpus = capacity.vcpus, memory = capacity.memory
        return "Capacity: vCPUs \(number(cpus.now)) → \(number(cpus.after)) of \(number(cpus.limit))\(peak(cpus, number))\(over(cpus)); "
            + "memory \(bytes(memory.now)) → \(bytes(memory.after)) of \(bytes(memory.limit))\(peak(memory, bytes))\(over(memory))"
    }

    /// `Plan: 2 to create, 1 to restart, 0 to delete.` Create and delete always; the rest when present.
    func summary(_ plan: Plan) -> String {
        var parts = ["\(plan.count(.create)) to create"]
        for action in [Action.update, .restart, .replace, .start, .stop, .reset] where plan.count(action) > 0 {
            parts.append("\(plan.count(action)) to \(action.rawValue)")
        }
        parts.append("\(plan.count(.delete)) to delete")
        return style.bold("Plan: " + parts.joined(separator: ", ") + ".")
    }

    /// Refusals of the whole plan, then the resources it cannot touch: both for standard error.
    func renderRefusals(_ plan: Plan) -> String {
        var out = ""
        for refusal in plan.refusals {
            let at = refusal.address.map { "\($0): " } ?? ""
            out += "vmctl: error: plan refused: \(at)\(refusal.message)\n"
            if let hint = refusal.hint { out += "    hint: \(hint)\n" }
        }
        for blocked in plan.blocked {
            out += "vmctl: error: \(blocked.address): \(blocked.message)\n"
            if let hint = blocked.hint { out += "    hint: \(hint)\n" }
        }
        return out
    }
}
