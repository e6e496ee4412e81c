import Foundation
import Manifest
import Testing
import VMCtlModel

/// Host paths named by manifests, and keeping them inside the allowed folders (symlinks followed).
@Suite("Path confinement")
struct PathConfinementTests {
    /// A fresh folder one level below /tmp, so `../../etc/shadow` written in a manifest there is /etc/shadow.
    let root: String

    init() throws {
        root = "/tmp/vmctl-paths-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root + "/m", withIntermediateDirectories: true)
    }

    func touch(_ path: String) {
        _ = FileManager.default.createFile(atPath: root + "/" + path, contents: Data("x".utf8))
    }

    func load(volumeSource source: String, folder: String = "m") -> ManifestResult {
        let text = """
            apiVersion: vmctl/v1
            kind: Stack
            metadata: {name: paths}
            volumes:
              data: {source: \(source)}
            vms:
              api: {memory: 256MiB, disks: [{volume: data}]}
            """
        let name = folder.isEmpty ? "stack.yaml" : "\(folder)/stack.yaml"
        return ManifestLoader.load([ManifestSource(name: name, baseDirectory: folder.isEmpty ? root : root + "/" + folder, text: text)],
                                   env: [:], host: nil)
    }

    @Test("the loader records every host path with its field, location and written form")
    func recordsHostPaths() {
        let text = """
            apiVersion: vmctl/v1
            kind: Stack
            metadata: {name: paths}
            volumes:
              data: {source: disk.img}
            vms:
              k: {memory: 256MiB, kernel: {image: /boot/vmlinuz, initrd: ./initrd.img}, disks: [{volume: data}]}
              i:
                memory: 1GiB
                image: {path: ../images/base.qcow2}
                cloudInit: {userData: user-data.yaml}
            """
        let result = ManifestLoader.load([ManifestSource(name: "s.yaml", baseDirectory: "/m", text: text)], env: [:], host: nil)
        #expect(result.isValid, "\(result.diagnostics)")
        let found = result.hostPaths.map { "\($0.field) \($0.written) \($0.path) \($0.location.line):\($0.location.column)" }
        #expect(found == [
            "volumes.data.source disk.img /m/disk.img 5:18",
            "vms.k.kernel.image /boot/vmlinuz /boot/vmlinuz 7:39",
            "vms.k.kernel.initrd ./initrd.img /m/initrd.img 7:62",
            "vms.i.image.path ../images/base.qcow2 /images/base.qcow2 10:19",
            "vms.i.cloudInit.userData user-data.yaml /m/user-data.yaml 11:27",
        ])
    }

    @Test("source: ../../etc/shadow is refused at its file:line:column, naming the field, path and allowed folder")
    func dotDotRefused() throws {
        var result = load(volumeSource: "../../etc/shadow", folder: "")
        try #require(FileManager.default.fileExists(atPath: "/etc/shadow"))
        #expect(result.isValid)
        PathConfinement.apply(PathPolicy(roots: [root]), to: &result)
        #expect(result.stack == nil)
        let diagnostic = try #require(result.diagnostics.first)
        #expect(result.diagnostics.count == 1)
        #expect(diagnostic.location == SourceLocation(file: "stack.yaml", line: 5, column: 18))
        #expect(diagnostic.path == "volumes.data.source")
        #expect(diagnostic.message == "volumes.data.source: '../../etc/shadow' (/etc/shadow) resolves to /etc/shadow, outside the allowed folders: \(root)")
        #expect(diagnostic.hint?.contains("--allow-path DIR") == true)
    }

    @Test("a symlink inside the manifest folder pointing to /etc/shadow is refused with what it resolves to")
    func symlinkRefused() throws {
        try FileManager.default.createSymbolicLink(atPath: root + "/m/disk.img", withDestinationPath: "/etc/shadow")
        var result = load(volumeSource: "disk.img")
        PathConfinement.apply(PathPolicy(roots: [root + "/m"]), to: &result)
        #expect(result.stack == nil)
        #expect(result.diagnostics.map(\.message) == ["volumes.data.source: 'disk.img' (\(root)/m/disk.img) resolves to /etc/shadow, outside the allowed folders: \(root)/m"])
    }

    @Test("a file inside the folder, and a symlink to one, are accepted; the stack stays")
    func insideAccepted() throws {
        touch("m/disk.img")
        try FileManager.default.createSymbolicLink(atPath: root + "/m/alias.img", withDestinationPath: "disk.img")
        for source in ["disk.img", "alias.img", root + "/m/disk.img"] {
            var result = load(volumeSource: source)
            PathConfinement.apply(PathPolicy(roots: [root + "/m"]), to: &result)
            #expect(result.isValid, "\(source): \(result.diagnostics)")
        }
    }

    @Test("roots compare by components: /x/a admits /x/a/f but not /x/ab/f")
    func componentPrefix() throws {
        try FileManager.default.createDirectory(atPath: root + "/a", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/ab", withIntermediateDirectories: true)
        touch("a/f.img")
        touch("ab/f.img")
        var inside = load(volumeSource: "../a/f.img")
        PathConfinement.apply(PathPolicy(roots: [root + "/a"]), to: &inside)
        #expect(inside.isValid, "\(inside.diagnostics)")
        var sibling = load(volumeSource: "../ab/f.img")
        PathConfinement.apply(PathPolicy(roots: [root + "/a"]), to: &sibling)
        #expect(!sibling.isValid)
        #expect(sibling.diagnostics.first?.message.contains("resolves to \(root)/ab/f.img, outside") == true, "\(sibling.diagnostics)")
    }

    @Test("a root given through a symlink is resolved too")
    func symlinkedRoot() throws {
        touch("m/disk.img")
        try FileManager.default.createSymbolicLink(atPath: root + "/link", withDestinationPath: root + "/m")
        var result = load(volumeSource: "disk.img")
        PathConfinement.apply(PathPolicy(roots: [root + "/link"]), to: &result)
        #expect(result.isValid, "\(result.diagnostics)")
    }

    @Test("a path that cannot be resolved is refused")
    func missingRefused() {
        var result = load(volumeSource: "nope.img")
        PathConfinement.apply(PathPolicy(roots: [root + "/m"]), to: &result)
        #expect(result.stack == nil)
        #expect(result.diagnostics.map(\.message) == ["volumes.data.source: 'nope.img' (\(root)/m/nope.img) cannot be resolved: no such file or directory; allowed folders: \(root)/m"])
    }

    @Test("manifestFolders: each input's folder once, then the extra folders")
    func manifestFolders() {
        let sources = [ManifestSource(name: "a.yaml", baseDirectory: "/x", text: ""), ManifestSource(name: "b.yaml", baseDirectory: "/x", text: ""),
                       ManifestSource(name: "<stdin>", baseDirectory: "/cwd", text: "")]
        #expect(PathPolicy.manifestFolders(of: sources, allowing: ["/srv/images"]).roots == ["/x", "/cwd", "/srv/images"])
    }

    @Test("HostPathCheck reports a missing file once, and PathConfinement does not report it again")
    func missingOnHost() {
        var result = load(volumeSource: "nope.img")
        HostPathCheck.requireExisting(in: &result)
        PathConfinement.apply(PathPolicy(roots: [root + "/m"]), to: &result)
        #expect(result.stack == nil)
        #expect(result.diagnostics.map(\.message) == ["volumes.data.source: 'nope.img' (\(root)/m/nope.img) cannot be found on this host: no such file or directory"])
        touch("m/there.img")
        var present = load(volumeSource: "there.img")
        HostPathCheck.requireExisting(in: &present)
        #expect(present.isValid)
    }
}
