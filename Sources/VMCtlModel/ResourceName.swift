/// Names of stacks, VMs, networks and volumes are RFC 1123 DNS labels: they become host names,
/// file names and interface names, so they must be safe in all three.
public enum ResourceName {
    public static let maxLength = 63

    /// Nil when `name` is a valid label, else the reason it is not.
    public static func problem(with name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.utf8.count > maxLength { return "is \(name.utf8.count) characters long; at most \(maxLength) are allowed" }
        if let bad = name.unicodeScalars.first(where: { !isLabelScalar($0) }) {
            if bad.properties.isUppercase { return "contains the uppercase letter '\(bad)'; only lowercase letters, digits and '-' are allowed" }
            return "contains '\(bad.escaped(asASCII: true))'; only lowercase letters, digits and '-' are allowed"
        }
        if name.hasPrefix("-") || name.hasSuffix("-") { return "must start and end with a letter or digit" }
        return nil
    }

    static func isLabelScalar(_ s: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(s) || ("0"..."9").contains(s) || s == "-"
    }
}
