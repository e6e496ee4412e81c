/// Where a diagnostic points: a file (as the user named it), 1-based line and column.
public struct SourceLocation: Hashable, Sendable, Codable, Comparable {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
        (a.file, a.line, a.column) < (b.file, b.line, b.column)
    }
}

public enum Severity: String, Sendable, Codable, Comparable {
    case error
    case warning

    public static func < (a: Severity, b: Severity) -> Bool { a == .error && b == .warning }
}

/// One problem found in the user's input: where, which field, what, and how to fix it.
public struct Diagnostic: Hashable, Sendable {
    public var severity: Severity
    public var location: SourceLocation
    /// The field's path inside its document as written, e.g. `vms.api.networks[0].ip`.
    public var path: String
    public var message: String
    public var hint: String?

    public init(_ severity: Severity = .error, at location: SourceLocation, path: String, _ message: String, hint: String? = nil) {
        self.severity = severity
        self.location = location
        self.path = path
        self.message = message
        self.hint = hint
    }
}

extension Diagnostic: Comparable {
    public static func < (a: Diagnostic, b: Diagnostic) -> Bool {
        if a.location != b.location { return a.location < b.location }
        if a.severity != b.severity { return a.severity < b.severity }
        if a.path != b.path { return a.path < b.path }
        return a.message < b.message
    }
}

extension Array where Element == Diagnostic {
    public var hasErrors: Bool { contains { $0.severity == .error } }
}
