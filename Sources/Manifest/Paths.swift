enum Paths {
    /// Joins a relative path to a base folder and removes `.` components; absolute paths are kept as written.
    static func resolve(_ path: String, against base: String) -> String {
        if path.hasPrefix("/") { return path }
        var components = base.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !components.isEmpty { components.removeLast() }
            default: components.append(String(part))
            }
        }
        return "/" + components.joined(separator: "/")
    }
}
