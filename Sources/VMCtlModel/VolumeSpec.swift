public enum VolumeFormat: String, Hashable, Sendable, Codable, CaseIterable {
    case raw
}

public enum VolumeFilesystem: String, Hashable, Sendable, Codable, CaseIterable {
    case ext4
}

public struct VolumeSpec: Hashable, Sendable, Codable {
    /// The size to create (or to grow an imported image to).
    public var size: ByteSize?
    /// An image to import, as an absolute path (the loader resolves relative paths).
    public var source: String?
    public var format: VolumeFormat
    public var filesystem: VolumeFilesystem?

    public init(size: ByteSize? = nil, source: String? = nil, format: VolumeFormat = .raw, filesystem: VolumeFilesystem? = nil) {
        self.size = size
        self.source = source
        self.format = format
        self.filesystem = filesystem
    }
}
