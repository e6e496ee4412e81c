/// One input file's bytes, the name to show in diagnostics and the folder its relative paths start from.
public struct ManifestSource: Sendable {
    public var name: String
    public var baseDirectory: String
    public var bytes: [UInt8]

    public init(name: String, baseDirectory: String, bytes: [UInt8]) {
        self.name = name
        self.baseDirectory = baseDirectory
        self.bytes = bytes
    }

    public init(name: String, baseDirectory: String, text: String) {
        self.init(name: name, baseDirectory: baseDirectory, bytes: Array(text.utf8))
    }
}
