import Foundation
@testable import Reconciler
import Runtime
import Testing
import VMCtlModel

@Suite struct RevisionLoaderTests {
    static let valid = """
        apiVersion: vmctl/v1
        kind: Stack
        metadata:
          name: demo
        vms:
          web:
            memory: 128MiB

        """

    func loader(_ state: TemporaryFolder) -> RevisionLoader {
        RevisionLoader(allowPaths: [], environment: [:], stateDirectory: StateDirectory(path: state.file("state")))
    }

    func snapshot(_ folder: TemporaryFolder, manifests: String = "") -> SourceSnapshot {
        SourceSnapshot(manifests: manifests.isEmpty ? folder.path : folder.file(manifests), root: folder.path, revision: "r1")
    }

    @Test func validFolderGivesAStack() throws {
        let folder = try TemporaryFolder()
        try folder.write("stack/web.yaml", Self.valid)
        let loaded = loader(folder).load(snapshot(folder, manifests: "stack"))
        #expect(loaded.diagnostics.filter { $0.severity == .error }.isEmpty)
        let stack = try #require(loaded.stack)
        #expect(stack.name == "demo")
        #expect(stack.vms["web"]?.memory == .mib(128))
    }

    @Test func invalidManifestIsNamedRelativeToTheRoot() throws {
        let folder = try TemporaryFolder()
        try folder.write("stack/web.yaml", """
            apiVersion: vmctl/v1
            kind: Stack
            metadata: {name: demo}
            vms:
              web:
                cpus: 0

            """)
        let loaded = loader(folder).load(snapshot(folder, manifests: "stack"))
        #expect(loaded.stack == nil)
        let error = try #require(loaded.diagnostics.first { $0.severity == .error })
        #expect(error.location.file == "stack/web.yaml")
        #expect(error.location.line == 6)
        #expect(error.location.column == 11)
        #expect(error.oneLine.hasPrefix("stack/web.yaml:6:11: "))
        #expect(!error.oneLine.contains(folder.path))
    }

    @Test func yamlSyntaxErrorHasALine() throws {
        let folder = try TemporaryFolder()
        try folder.write("web.yaml", "apiVersion: vmctl/v1\nkind: Stack\nvms: [unclosed\n")
        let loaded = loader(folder).load(snapshot(folder))
        #expect(loaded.stack == nil)
        let error = try #require(loaded.diagnostics.first { $0.severity == .error })
        #expect(error.location.file == "web.yaml")
        #expect(error.location.line > 1)
    }

    @Test func symlinkToAFileOutsideIsRefusedWithoutItsContent() throws {
        let outside = try TemporaryFolder()
        // Would load as a manifest, and with errors quoting it, were the link followed.
        try outside.write("secret.yaml", """
            apiVersion: vmctl/v1
            kind: Stack
            metadata: {name: TOPSECRET-name}
            vms:
              TOPSECRET-vm: {cpus: TOPSECRET-cpus}

            """)
        let folder = try TemporaryFolder()
        try folder.write("stack/a.yaml", Self.valid)
        try FileManager.default.createSymbolicLink(atPath: folder.file("stack/evil.yaml"), withDestinationPath: outside.file("secret.yaml"))
        let loaded = loader(folder).load(snapshot(folder, manifests: "stack"))
        #expect(loaded.stack == nil)
        let error = try #require(loaded.diagnostics.first)
        #expect(error.severity == .error)
        #expect(error.location.file == "stack/evil.yaml")
        #expect(error.message.contains("symbolic link"))
        for diagnostic in loaded.diagnostics {
            let text = [diagnostic.oneLine, diagnostic.message, diagnostic.hint ?? "", diagnostic.path, diagnostic.location.file].joined(separator: " ")
            #expect(!text.contains("TOPSECRET"))
            #expect(!text.contains(outside.path))
        }
    }

    @Test func symlinkInsideTheRootIsFine() throws {
        let folder = try TemporaryFolder()
        try folder.write("shared/web.yaml", Self.valid)
        try FileManager.default.createDirectory(atPath: folder.file("stack"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder.file("stack/web.yaml"), withDestinationPath: "../shared/web.yaml")
        let loaded = loader(folder).load(snapshot(folder, manifests: "stack"))
        #expect(loaded.stack?.name == "demo")
    }

    @Test func folderWithoutYAMLIsADiagnostic() throws {
        let folder = try TemporaryFolder()
        try folder.write("stack/README.md", "nothing here\n")
        let loaded = loader(folder).load(snapshot(folder, manifests: "stack"))
        #expect(loaded.stack == nil)
        let error = try #require(loaded.diagnostics.first)
        #expect(error.severity == .error)
        #expect(error.location.file == "stack")
        #expect(error.message.contains("no *.yaml"))
    }

    @Test func missingManifestsFolderIsADiagnostic() throws {
        let folder = try TemporaryFolder()
        let loaded = loader(folder).load(snapshot(folder, manifests: "gone"))
        #expect(loaded.stack == nil)
        #expect(loaded.diagnostics.contains { $0.severity == .error })
    }
}
