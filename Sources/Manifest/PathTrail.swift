/// The path of the node being visited (`vms.api.networks[0]`), kept as parts and rendered only for a diagnostic:
/// building a string per node would copy long keys into every descendant.
struct PathTrail {
    enum Part {
        case key(String)
        case index(Int)
    }

    private(set) var parts: [Part] = []

    mutating func push(_ part: Part) { parts.append(part) }
    mutating func pop() { parts.removeLast() }

    /// `vms.api.networks[0]`; very long paths (deep nesting) are cut at 100 characters.
    var rendered: String {
        var text = ""
        for part in parts {
            switch part {
            case .key(let key): text += (text.isEmpty ? "" : ".") + key.truncatedForMessage
            case .index(let index): text += "[\(index)]"
            }
            if text.count > 100 { return String(text.prefix(97)) + "..." }
        }
        return text
    }
}
