import VMCtlModel

/// Where the store keeps each file, under `root` (`<state-dir>/images`):
///
///     <root>/sha256/<hex>/base.qcow2|base.raw   the image, mode 0444
///     <root>/sha256/<hex>/image.json            ImageMetadata
///     <root>/sha256/.import-<pid>-<n>/          an import in progress (renamed to <hex> once complete)
///     <root>/sha256/.remove-<pid>-<hex>/        a removal in progress
///     <root>/index.json                         the fast path: (device, inode, size, mtime, ctime) → digest
///     <root>/lock                               flock held while the store's folders and records change
///     <root>/use.lock                           shared by callers attaching images, exclusive for rm/prune
struct StoreLayout: Sendable {
    var root: String

    var images: String { root + "/sha256" }
    var index: String { root + "/index.json" }
    var lock: String { root + "/lock" }
    var useLock: String { root + "/use.lock" }

    func folder(_ digest: String) -> String { "\(images)/\(digest)" }
    func metadata(_ digest: String) -> String { folder(digest) + "/image.json" }
    func base(_ digest: String, format: ImageFormat) -> String { folder(digest) + "/" + Self.baseName(format) }

    static func baseName(_ format: ImageFormat) -> String { "base.\(format.rawValue)" }
    static let importPrefix = ".import-"
    static let removePrefix = ".remove-"
}
