import Foundation
import VMCtlModel

/// A base image in the store: what a VM's overlay is created on.
public struct StoredImage: Hashable, Sendable, Codable {
    /// The SHA-256 of the image file, 64 lowercase hex digits.
    public var digest: String
    /// Detected from the file's own header (qcow2 magic, else raw); pass it to QEMU as `format=`, never probe.
    public var format: ImageFormat
    /// The disk size the guest sees: the qcow2 header's size, or a raw file's length.
    public var virtualSize: ByteSize
    /// Absolute path of `base.qcow2` or `base.raw` in the store (read-only: mode 0444).
    public var path: String

    public init(digest: String, format: ImageFormat, virtualSize: ByteSize, path: String) {
        self.digest = digest
        self.format = format
        self.virtualSize = virtualSize
        self.path = path
    }

    /// The first 12 hex digits, as `vmctl image ls` shows them (and the shortest prefix `vmctl image rm` takes).
    public var shortDigest: String { String(digest.prefix(DigestPrefix.minimumLength)) }
}

/// `image.json` beside each base: what the store knows about it.
public struct ImageMetadata: Hashable, Sendable, Codable {
    public var digest: String
    public var format: ImageFormat
    public var virtualSize: ByteSize
    /// Bytes the base occupies on disk (allocated blocks: a sparse raw image takes less than its size).
    public var actualSize: ByteSize
    /// Every path it was imported from, in the order first seen.
    public var sources: [String]
    public var importedAt: Date
    /// The last import of this content (a reuse counts): a recently used image may be about to be attached.
    public var lastImportedAt: Date

    public init(digest: String, format: ImageFormat, virtualSize: ByteSize, actualSize: ByteSize, sources: [String],
                importedAt: Date, lastImportedAt: Date) {
        self.digest = digest
        self.format = format
        self.virtualSize = virtualSize
        self.actualSize = actualSize
        self.sources = sources
        self.importedAt = importedAt
        self.lastImportedAt = lastImportedAt
    }
}

/// One image as `list()` returns it: the base and its metadata.
public struct ImageEntry: Hashable, Sendable {
    public var image: StoredImage
    public var metadata: ImageMetadata

    public init(image: StoredImage, metadata: ImageMetadata) {
        self.image = image
        self.metadata = metadata
    }

    public var digest: String { image.digest }
}
