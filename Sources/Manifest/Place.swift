import VMCtlModel

/// A field's source position and its path inside the document.
struct Place: Hashable, Sendable {
    var location: SourceLocation
    var path: String

    func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
    func index(_ index: Int) -> String { "\(path)[\(index)]" }
}

struct Located<Value> {
    var value: Value
    var place: Place
}

extension Located: Sendable where Value: Sendable {}

/// A decoded entity with the places of its fields, so cross-checks can point at the exact line.
struct Sourced<Value> {
    var value: Value
    /// Where the entity's name (its key, or `metadata.name`) is written.
    var place: Place
    /// Field places keyed by path relative to the entity: `cpus`, `networks[0].ip`, `disks[1]`.
    var fields: [String: Place] = [:]

    func place(_ relative: String) -> Place { fields[relative] ?? place }
}
