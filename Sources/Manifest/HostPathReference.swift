import VMCtlModel

/// A host file a manifest names, where it is named, and the field that names it.
public struct HostPathReference: Hashable, Sendable {
    /// Absolute, with `.` and `..` removed as the loader resolves it: the path the runtime opens.
    public var path: String
    /// As written in the manifest (after `${VAR}` substitution), e.g. `../disk.img`.
    public var written: String
    public var location: SourceLocation
    /// The field's full path inside its document, e.g. `volumes.data.source` or `spec.kernel.image`.
    public var field: String

    public init(path: String, written: String, location: SourceLocation, field: String) {
        self.path = path
        self.written = written
        self.location = location
        self.field = field
    }
}

/// Shared by the decoders of one load, which are values: the references in the order they are decoded.
final class HostPathLog {
    var references: [HostPathReference] = []
}
