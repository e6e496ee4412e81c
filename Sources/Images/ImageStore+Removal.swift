import Foundation

/// Which VMs use which image: digest → users (e.g. "web/vm-1"). Users may be empty: "in use, by someone".
public typealias ImageUsers = [String: [String]]

extension ImageStore {
    /// Every complete image in the store, newest import first. A damaged `image.json` is an error naming it.
    public func list() throws -> [ImageEntry] {
        try storedDigests().map { digest in
            let metadata = try FileSystem.readJSON(ImageMetadata.self, from: layout.metadata(digest))
            let image = StoredImage(digest: digest, format: metadata.format, virtualSize: metadata.virtualSize,
                                    path: layout.base(digest, format: metadata.format))
            return ImageEntry(image: image, metadata: metadata)
        }.sorted { ($0.metadata.importedAt, $0.digest) > ($1.metadata.importedAt, $1.digest) }
    }

    /// Removes one image: `digest` is the full digest or a prefix of at least 12 hex digits (ambiguous prefixes are
    /// refused). `users` is called once the store is locked against concurrent `holdForUse` holders, so what it
    /// reads (the VM records) cannot change before the removal; an image it names is refused with its users.
    /// Returns the full digest removed.
    @discardableResult
    public func remove(digest: String, users: () throws -> ImageUsers) throws -> String {
        let exclusive = try exclusiveUse()
        defer { exclusive.release() }
        let full = try DigestPrefix.resolve(digest, among: storedDigests())
        let inUse = try users()
        if let who = inUse[full] { throw ImageError.inUse(digest: full, users: who.sorted()) }
        let lock = try FileLock.acquire(layout.lock)
        defer { lock.release() }
        try discard(full)
        return full
    }

    @discardableResult
    public func remove(digest: String, inUse: ImageUsers) throws -> String {
        try remove(digest: digest, users: { inUse })
    }

    @discardableResult
    public func remove(digest: String, inUse: Set<String>) throws -> String {
        try remove(digest: digest, users: { Dictionary(uniqueKeysWithValues: inUse.map { ($0, []) }) })
    }

    /// Removes every image no VM uses (per `users`, called under the lock as in `remove`), and what interrupted
    /// imports and removals left behind. Returns the images removed.
    @discardableResult
    public func prune(users: () throws -> ImageUsers) throws -> [ImageEntry] {
        let exclusive = try exclusiveUse()
        defer { exclusive.release() }
        let entries = try list()
        let inUse = try users()
        let lock = try FileLock.acquire(layout.lock)
        defer { lock.release() }
        var removed: [ImageEntry] = []
        for entry in entries where inUse[entry.digest] == nil {
            try discard(entry.digest)
            removed.append(entry)
        }
        try removeLeftovers()
        return removed
    }

    @discardableResult
    public func prune(inUse: ImageUsers) throws -> [ImageEntry] {
        try prune(users: { inUse })
    }

    @discardableResult
    public func prune(inUse: Set<String>) throws -> [ImageEntry] {
        try prune(users: { Dictionary(uniqueKeysWithValues: inUse.map { ($0, []) }) })
    }

    /// The digests with a folder in the store (complete or not), in no particular order.
    func storedDigests() throws -> [String] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: layout.images) } catch {
            if !FileManager.default.fileExists(atPath: layout.images) { return [] }
            throw ImageError.io(operation: "list", path: layout.images, code: FileSystem.posixCode(error))
        }
        return names.filter { $0.count == 64 && DigestPrefix.isHex($0) }
    }

    /// Moves the image's folder out of its final name, then deletes it and forgets it in the fast-path index.
    /// Called with the store lock held.
    func discard(_ digest: String) throws {
        let doomed = "\(layout.images)/\(StoreLayout.removePrefix)\(getpid())-\(digest)"
        try FileSystem.removeTree(doomed)
        try FileSystem.rename(layout.folder(digest), to: doomed)
        try FileSystem.syncFolder(layout.images)
        try FileSystem.removeTree(doomed)
        var index = ImportIndex.load(layout.index)
        let before = index
        index.forget(digest: digest)
        if index != before { try FileSystem.writeJSON(index, to: layout.index) }
    }

    /// Staging folders of imports, and removals, whose process is gone (a live one, this one included, may be at work).
    private func removeLeftovers() throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: layout.images)) ?? []
        for name in names {
            let pid: String
            if name.hasPrefix(StoreLayout.importPrefix) {
                pid = String(name.dropFirst(StoreLayout.importPrefix.count).prefix { $0 != "-" })
            } else if name.hasPrefix(StoreLayout.removePrefix) {
                pid = String(name.dropFirst(StoreLayout.removePrefix.count).prefix { $0 != "-" })
            } else { continue }
            if let number = Int32(pid), number == getpid() || kill(number, 0) == 0 || errno == EPERM { continue }   // still at work
            try FileSystem.removeTree("\(layout.images)/\(name)")
        }
    }

    /// The use lock, exclusively; refuses at once while any `holdForUse` lease is held.
    private func exclusiveUse() throws -> FileLock {
        try FileSystem.makeFolder(root)
        guard let lock = try FileLock.attempt(layout.useLock) else { throw ImageError.busy(path: layout.useLock) }
        return lock
    }
}
