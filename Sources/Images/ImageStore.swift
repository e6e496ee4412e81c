import Foundation
import VMCtlModel

/// The content-addressed store of base images, under `<state-dir>/images` (layout: `StoreLayout`).
///
/// `import` copies an image file in, named by its SHA-256, after checking its format from its own header;
/// `createOverlay` gives a VM its own qcow2 on a stored base; `list`, `remove` and `prune` manage the store and
/// never remove a base a VM uses. Every file is written under a temporary name and renamed once complete, and a
/// base gets its folder's final name only with its `image.json` beside it.
public struct ImageStore: Sendable {
    /// Absolute.
    public let root: String
    public let tool: any ImageTool
    let now: @Sendable () -> Date

    public init(root: String, tool: any ImageTool = QEMUImg(), now: @escaping @Sendable () -> Date = { Date() }) {
        self.root = ImageStore.absolute(root)
        self.tool = tool
        self.now = now
    }

    var layout: StoreLayout { StoreLayout(root: root) }

    /// The stored image with this full digest, or nil when the store does not have it (complete).
    public func image(digest: String) -> StoredImage? {
        guard let metadata = try? FileSystem.readJSON(ImageMetadata.self, from: layout.metadata(digest)),
              metadata.digest == digest else { return nil }
        let path = layout.base(digest, format: metadata.format)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return StoredImage(digest: digest, format: metadata.format, virtualSize: metadata.virtualSize, path: path)
    }

    /// Holds off `remove` and `prune` (they fail with `ImageError.busy`) until the lease is released. Take it before
    /// `import` and keep it until the VM's record names the digest, so a concurrent `vmctl image prune` can never
    /// remove a base between its import and its first use. Any number of leases can be held at once.
    public func holdForUse() throws -> ImageUseLease {
        try FileSystem.makeFolder(root)
        return ImageUseLease(lock: try FileLock.acquire(layout.useLock, shared: true))
    }

    static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return URL(fileURLWithPath: full).standardizedFileURL.path
    }
}

/// A shared hold on the store's use lock: while any exists, `remove` and `prune` refuse to run.
public final class ImageUseLease: Sendable {
    private let lock: FileLock

    init(lock: FileLock) { self.lock = lock }

    /// Releases the lease now (it is also released when the lease is deallocated).
    public func release() { lock.release() }
}
