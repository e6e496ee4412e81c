import VMCtlModel

/// The content-addressed store of base images (being written).
public struct ImageStore: Sendable {
    public var root: String
    public init(root: String) { self.root = root }
}
