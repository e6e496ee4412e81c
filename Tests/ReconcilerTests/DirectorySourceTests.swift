import Foundation
import Reconciler
import Testing

@Suite struct DirectorySourceTests {
    @Test func revisionFollowsManifestContent() throws {
        let folder = try TemporaryFolder()
        try folder.write("stack.yaml", "vms: {web: {}}\n")
        let source = DirectorySource(folder: folder.path)
        let first = try source.fetch()
        #expect(first.manifests == folder.path)
        #expect(first.root == folder.path)
        #expect(first.revision.hasPrefix("sha256:"))
        #expect(source.peek() == first.revision)
        // The same content is the same revision.
        #expect(try source.fetch().revision == first.revision)

        try folder.write("stack.yaml", "vms: {web: {cpus: 2}}\n")
        let edited = try source.fetch().revision
        #expect(edited != first.revision)
        #expect(source.peek() == edited)

        try folder.write("stack.yaml", "vms: {web: {}}\n")
        #expect(try source.fetch().revision == first.revision)
    }

    @Test func addingOrRenamingAManifestIsANewRevision() throws {
        let folder = try TemporaryFolder()
        try folder.write("a.yaml", "x: 1\n")
        let source = DirectorySource(folder: folder.path)
        let before = try #require(source.peek())
        try folder.write("b.yml", "y: 2\n")
        let added = try #require(source.peek())
        #expect(added != before)
        // Same content under another name.
        try FileManager.default.moveItem(atPath: folder.file("b.yml"), toPath: folder.file("c.yml"))
        #expect(source.peek() != added)
    }

    @Test func otherFilesDoNotChangeTheRevision() throws {
        let folder = try TemporaryFolder()
        try folder.write("stack.yaml", "x: 1\n")
        try folder.write("README.md", "one\n")
        let source = DirectorySource(folder: folder.path)
        let before = try source.fetch().revision
        try folder.write("README.md", "two\n")
        try folder.write("notes.txt", "new\n")
        try folder.write("stack.yaml.orig", "x: 2\n")
        #expect(try source.fetch().revision == before)
    }

    @Test func folderIsStandardized() throws {
        let folder = try TemporaryFolder()
        try folder.write("sub/stack.yaml", "x: 1\n")
        let source = DirectorySource(folder: folder.path + "/sub/../sub/")
        #expect(source.folder == folder.path + "/sub")
        #expect(try source.fetch().manifests == folder.path + "/sub")
    }

    @Test func fetchOfAMissingFolderThrows() throws {
        let folder = try TemporaryFolder()
        let missing = folder.file("missing")
        let source = DirectorySource(folder: missing)
        #expect {
            try source.fetch()
        } throws: { error in
            guard case ReconcileError.source(let message) = error else { return false }
            return message.contains(missing) && message.contains("does not exist")
        }
        // A file is not a folder either.
        let file = try folder.write("file.yaml", "x: 1\n")
        #expect(throws: ReconcileError.self) { try DirectorySource(folder: file).fetch() }
    }
}
