import Foundation
import VMCtlModel

extension ImageStore {
    /// Imports the image file at `path` (a regular file; a symlink is followed to one) and returns the stored base.
    ///
    /// - The format comes from the file's header: the qcow2 magic makes it qcow2 (versions 2 and 3), anything else
    ///   is raw. A qcow2 that names a backing file or an external data file, is encrypted or marked corrupt, or
    ///   sets an incompatible feature bit vmctl does not know is refused — checked in the header by vmctl, then
    ///   cross-checked with `qemu-img info -f qcow2` on the copy.
    /// - The file is copied and hashed in one pass; holes and all-zero blocks stay holes.
    /// - `expectedSHA256` (64 hex digits): a different content is refused with both digests, and nothing is stored.
    /// - Content already in the store is not copied again; the path is added to its `image.json`.
    /// - Fast path: a file whose (device, inode, size, mtime, ctime) matches an earlier import of it is not read
    ///   at all (`ImportIndex`); any difference re-hashes it.
    /// - `progress` hears how far the copy is, as (bytes done, bytes in all), at its start and after each chunk or
    ///   hole; nothing on the fast path, which copies nothing.
    @discardableResult
    public func `import`(path: String, expectedSHA256: String? = nil,
                         progress: (_ done: UInt64, _ total: UInt64) -> Void = { _, _ in }) throws -> StoredImage {
        let expected = try expectedSHA256.map(DigestPrefix.normalizeFull)
        let sourcePath = Self.absolute(path)
        let source = try SourceFile.open(sourcePath)
        try FileSystem.makeFolder(root)
        try FileSystem.makeFolder(layout.images)
        if let digest = ImportIndex.load(layout.index).digest(for: source.identity), expected == nil || expected == digest,
           let stored = image(digest: digest) {
            try recordImport(of: digest, from: source)
            return stored
        }
        // Fail before copying gigabytes: the copy is checked again, since the file may change meanwhile.
        if let header = try Self.qcow2Header(of: source.file, path: sourcePath) { try header.check(path: sourcePath) }
        let staged = try stage(source, progress: progress)
        if let expected, expected != staged.digest {
            throw ImageError.digestMismatch(path: sourcePath, expected: expected, actual: staged.digest)
        }
        try staged.verifyFormat(tool: tool)
        return try publish(staged, from: source)
    }

    /// Copies and hashes the source into a new staging folder (removed again unless published).
    private func stage(_ source: SourceFile, progress: (UInt64, UInt64) -> Void) throws -> StagedImport {
        let staged = try StagedImport(in: layout.images, sourcePath: source.path)
        let output = try FileDescriptor.open(staged.partialPath, flags: O_RDWR | O_CREAT | O_EXCL, mode: 0o644, operation: "create")
        let total = UInt64(max(0, source.identity.size))
        progress(0, total)
        let copy = try HashingCopier.copy(from: source.file, length: source.identity.size, to: output) { done in
            progress(UInt64(max(0, done)), total)
        }
        guard try source.currentIdentity() == source.identity else { throw ImageError.sourceChanged(path: source.path) }
        staged.digest = copy.digest
        staged.length = UInt64(source.identity.size)
        staged.header = try Self.qcow2Header(of: output, path: source.path)
        staged.allocated = UInt64(try output.status().st_blocks) * 512
        staged.output = output
        return staged
    }

    /// Moves a staged image to its final name, or adds the source to the stored copy of the same content.
    private func publish(_ staged: StagedImport, from source: SourceFile) throws -> StoredImage {
        let lock = try FileLock.acquire(layout.lock)
        defer { lock.release() }
        let digest = staged.digest
        if image(digest: digest) != nil {
            try addSource(source.path, to: digest)
        } else {
            let date = now()
            let metadata = ImageMetadata(digest: digest, format: staged.format, virtualSize: ByteSize(bytes: staged.virtualSize),
                                         actualSize: ByteSize(bytes: staged.allocated), sources: [source.path],
                                         importedAt: date, lastImportedAt: date)
            try staged.finish(metadata)
            // A folder under the final name without a complete image (removed by hand) is replaced.
            if FileManager.default.fileExists(atPath: layout.folder(digest)) { try discard(digest) }
            try FileSystem.rename(staged.folder, to: layout.folder(digest))
            staged.published = true
            try FileSystem.syncFolder(layout.images)
        }
        try remember(source, digest: digest)
        guard let stored = image(digest: digest) else { throw ImageError.imageNotFound(digest: digest) }
        return stored
    }

    /// The fast path's bookkeeping for an unchanged file: its path in `image.json`, the time of this import.
    private func recordImport(of digest: String, from source: SourceFile) throws {
        let lock = try FileLock.acquire(layout.lock)
        defer { lock.release() }
        try addSource(source.path, to: digest)
        try remember(source, digest: digest)
    }

    /// Adds a source path to `image.json` and notes the import time. Called with the store lock held.
    private func addSource(_ path: String, to digest: String) throws {
        var metadata = try FileSystem.readJSON(ImageMetadata.self, from: layout.metadata(digest))
        if !metadata.sources.contains(path) { metadata.sources.append(path) }
        metadata.lastImportedAt = now()
        try FileSystem.writeJSON(metadata, to: layout.metadata(digest))
    }

    /// Records the file in the fast-path index, if it did not change since it was opened.
    private func remember(_ source: SourceFile, digest: String) throws {
        guard (try? source.currentIdentity()) == source.identity else { return }
        var index = ImportIndex.load(layout.index)
        let before = index
        index.record(path: source.path, identity: source.identity, digest: digest)
        if index != before { try FileSystem.writeJSON(index, to: layout.index) }
    }

    /// The qcow2 header at the start of the file, or nil for a raw image.
    static func qcow2Header(of file: FileDescriptor, path: String) throws -> QCOW2Header? {
        let head = try file.read(count: QCOW2Header.version3Length, at: 0)
        guard QCOW2Header.hasMagic(head) else { return nil }
        return try QCOW2Header(parsing: head, path: path)
    }
}
