import Crypto
import Foundation

/// A plain folder of manifests (`--source DIR`), e.g. kept up to date by another tool. Its revision is a digest of its
/// manifests' names and contents, so any edit is a new revision.
public struct DirectorySource: StackSource {
    public let folder: String

    public init(folder: String) {
        self.folder = URL(fileURLWithPath: folder).standardizedFileURL.path
    }

    public var description: String { folder }
    public var key: String { "folder\n" + folder }

    public func fetch() throws -> SourceSnapshot {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw ReconcileError.source("the source folder \(folder) does not exist or is not a folder")
        }
        return SourceSnapshot(manifests: folder, root: folder, revision: digest())
    }

    public func peek() -> String? { digest() }

    /// sha256 over each *.yaml/*.yml file's name and content, in name order (the order the loader reads them).
    func digest() -> String {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        var hash = SHA256()
        for name in names {
            hash.update(data: Data(name.utf8))
            hash.update(data: [0])
            hash.update(data: FileManager.default.contents(atPath: folder + "/" + name) ?? Data())
            hash.update(data: [0])
        }
        return "sha256:" + hash.finalize().hex
    }
}
