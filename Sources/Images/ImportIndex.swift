import Foundation

/// The import fast path (`<root>/index.json`): the digest of each file already imported, keyed by its
/// `FileIdentity` (device, inode, size, mtime and ctime in nanoseconds). An unchanged file (every `apply` imports
/// the manifest's image again) is then found without reading it; anything that differs — it was written,
/// touched, replaced or copied — misses and the file is hashed again. The store's own copy is what VMs use, so a
/// stale entry could at worst name the wrong one of the stored images, and only for a file whose contents changed
/// while its size, mtime and ctime (which only the kernel sets) stayed the same.
struct ImportIndex: Codable, Equatable {
    struct Entry: Codable, Equatable {
        var path: String
        var identity: FileIdentity
        var digest: String
    }

    /// The most entries kept; the oldest go first.
    static let capacity = 512

    var entries: [Entry] = []

    static func load(_ path: String) -> ImportIndex {
        // A missing or damaged index only costs a re-hash.
        (try? FileSystem.readJSON(ImportIndex.self, from: path)) ?? ImportIndex()
    }

    func digest(for identity: FileIdentity) -> String? {
        entries.last { $0.identity == identity }?.digest
    }

    /// Records `path` (with `identity`) as holding `digest`, replacing what was known about that file or path.
    mutating func record(path: String, identity: FileIdentity, digest: String) {
        entries.removeAll { $0.path == path || ($0.identity.device == identity.device && $0.identity.inode == identity.inode) }
        entries.append(Entry(path: path, identity: identity, digest: digest))
        if entries.count > Self.capacity { entries.removeFirst(entries.count - Self.capacity) }
    }

    mutating func forget(digest: String) {
        entries.removeAll { $0.digest == digest }
    }
}
