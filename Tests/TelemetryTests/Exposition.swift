/// The series of a Prometheus text exposition, keyed by name and labels as written (`name{a="b"}`), with their
/// values; and its `# HELP` and `# TYPE` lines by metric name.
struct Exposition {
    var series: [String: Double] = [:]
    var help: [String: String] = [:]
    var type: [String: String] = [:]

    init(_ text: String) {
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let words = line.split(separator: " ", maxSplits: 3)
                if line.hasPrefix("# HELP ") { help[String(words[2])] = String(words[3]) } else { type[String(words[2])] = String(words[3]) }
            } else if !line.hasPrefix("#"), let space = line.lastIndex(of: " ") {
                series[String(line[..<space])] = Double(line[line.index(after: space)...])
            }
        }
    }

    /// The names of the metric families that have at least one series.
    var names: Set<String> {
        Set(series.keys.map { key in
            let name = String(key.prefix { $0 != "{" })
            for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) && type[String(name.dropLast(suffix.count))] == "histogram" {
                return String(name.dropLast(suffix.count))
            }
            return name
        })
    }

    func seriesNamed(_ name: String) -> [String: Double] {
        series.filter { $0.key == name || $0.key.hasPrefix(name + "{") }
    }
}
