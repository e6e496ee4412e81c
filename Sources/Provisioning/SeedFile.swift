/// One file of a NoCloud seed: its name on the `cidata` volume and its text.
public struct SeedFile: Hashable, Sendable {
    public var name: String
    public var contents: String

    public init(name: String, contents: String) {
        self.name = name
        self.contents = contents
    }
}
