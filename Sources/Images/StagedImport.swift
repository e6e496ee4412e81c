import Foundation
import VMCtlModel

/// An import in progress: `<root>/sha256/.import-<pid>-<n>/base.partial`, copied and hashed, then checked, then
/// given `base.<format>` and `image.json` and renamed to `<root>/sha256/<digest>`. Removed with everything in it
/// when it goes away unpublished (a failed check, a wrong digest, content the store already has).
final class StagedImport {
    let folder: String
    let sourcePath: String
    var digest = ""
    var length: UInt64 = 0
    /// The copy's qcow2 header; nil for a raw image.
    var header: QCOW2Header?
    /// Bytes the copy occupies on disk.
    var allocated: UInt64 = 0
    /// The copy, open for writing until it is finished.
    var output: FileDescriptor?
    var published = false

    init(in images: String, sourcePath: String) throws {
        self.sourcePath = sourcePath
        var folder = ""
        while true {
            folder = "\(images)/\(StoreLayout.importPrefix)\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            if mkdir(folder, 0o755) == 0 { break }
            guard errno == EEXIST else { throw ImageError.io(operation: "create the folder", path: folder, code: errno) }
        }
        self.folder = folder
    }

    deinit {
        if !published { try? FileSystem.removeTree(folder) }
    }

    var partialPath: String { folder + "/base.partial" }
    var format: ImageFormat { header == nil ? .raw : .qcow2 }
    /// A raw image's disk is its length rounded up to whole 512-byte sectors, as QEMU presents it (the rest reads as zeros).
    var virtualSize: UInt64 { header?.size ?? ImageStore.sectorAligned(length) }

    /// For qcow2: vmctl's header checks on the copy (the bytes that are stored, whatever the source does
    /// meanwhile), then `qemu-img info -f qcow2` must agree: no backing file, no data file, not encrypted, the same
    /// virtual size. The header is checked first, so qemu-img never opens a file that names another one.
    func verifyFormat(tool: any ImageTool) throws {
        guard let header else { return }
        try header.check(path: sourcePath)
        let info = try tool.info(path: partialPath, format: .qcow2)
        let refuse = { (reason: String) in ImageError.refusedQCOW2(path: self.sourcePath, reason: reason) }
        guard info.format == "qcow2" else { throw refuse("qemu-img opened it as \(info.format), not qcow2") }
        if let backing = info.backingFile ?? info.fullBackingFile { throw refuse("qemu-img reports a backing file (\(backing))") }
        if let data = info.dataFile { throw refuse("qemu-img reports an external data file (\(data))") }
        if info.encrypted { throw refuse("qemu-img reports it as encrypted") }
        guard info.virtualSize == header.size else {
            throw refuse("qemu-img reports a virtual size of \(info.virtualSize) bytes, its header \(header.size)")
        }
    }

    /// Flushes the copy, gives it its final name (read-only) and writes `image.json` beside it.
    func finish(_ metadata: ImageMetadata) throws {
        try output?.sync()
        output = nil
        let base = folder + "/" + StoreLayout.baseName(format)
        try FileSystem.rename(partialPath, to: base)
        guard chmod(base, 0o444) == 0 else { throw ImageError.io(operation: "make read-only", path: base, code: errno) }
        try FileSystem.writeJSON(metadata, to: folder + "/image.json")
    }
}
