import Foundation
import Testing
import VMCtlModel
@testable import Images

@Suite("VMImageScan: which images the VMs' records use")
struct VMImageScanTests {
    func entry(_ digest: String, sources: [String]) -> ImageEntry {
        let date = Date(timeIntervalSince1970: 0)
        return ImageEntry(image: StoredImage(digest: digest, format: .raw, virtualSize: .mib(1), path: "/s/\(digest)/base.raw"),
                          metadata: ImageMetadata(digest: digest, format: .raw, virtualSize: .mib(1), actualSize: .mib(1),
                                                  sources: sources, importedAt: date, lastImportedAt: date))
    }

    func record(_ state: String, _ stack: String, _ vm: String, _ json: String) throws {
        let folder = "\(state)/stacks/\(stack)/vms/\(vm)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data(json.utf8).write(to: URL(fileURLWithPath: folder + "/vm.json"))
    }

    let a = String(repeating: "a", count: 64)
    let b = String(repeating: "b", count: 64)
    let c = String(repeating: "c", count: 64)

    @Test("imageDigest, spec.image.sha256, and for a VM with neither spec.image.path through the images' sources")
    func users() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let state = scratch.path("state")
        try record(state, "web", "vm-1", #"{"name": "vm-1", "imageDigest": "\#(a)", "spec": {"image": {"path": "/img/a.qcow2"}}}"#)
        try record(state, "web", "vm-2", #"{"spec": {"image": {"path": "/img/x.qcow2", "sha256": "\#(b.uppercased())"}}}"#)
        try record(state, "db", "vm-1", #"{"spec": {"image": {"path": "/img/c.qcow2"}}}"#)
        try record(state, "db", "plain", #"{"spec": {"cpus": 1}}"#)
        let images = [entry(a, sources: ["/img/a.qcow2"]), entry(b, sources: []), entry(c, sources: ["/img/c.qcow2", "/other"])]
        #expect(try VMImageScan.users(stateDirectory: state, images: images) == [a: ["web/vm-1"], b: ["web/vm-2"], c: ["db/vm-1"]])
    }

    @Test("with an imageDigest, the path no longer marks older images from the same path as used")
    func digestWins() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let state = scratch.path("state")
        try record(state, "s", "vm", #"{"imageDigest": "\#(a)", "spec": {"image": {"path": "/img/current.qcow2"}}}"#)
        let images = [entry(a, sources: ["/img/current.qcow2"]), entry(b, sources: ["/img/current.qcow2"])]
        #expect(try VMImageScan.users(stateDirectory: state, images: images) == [a: ["s/vm"]])
    }

    @Test("a state folder without stacks uses nothing")
    func empty() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        #expect(try VMImageScan.users(stateDirectory: scratch.path("none"), images: []).isEmpty)
    }

    @Test("a record that is missing, not JSON, or has a non-string imageDigest is an error naming the file",
          arguments: [nil, "{not json", #"{"imageDigest": 42}"#, "[1]"])
    func unreadable(json: String?) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let state = scratch.path("state")
        try record(state, "ok", "vm", #"{"imageDigest": "\#(a)"}"#)
        try record(state, "s", "vm", json ?? "")
        let file = "\(state)/stacks/s/vms/vm/vm.json"
        if json == nil { try FileManager.default.removeItem(atPath: file) }
        #expect {
            try VMImageScan.users(stateDirectory: state, images: [])
        } throws: { error in
            guard case .unreadableVMRecord(let path, _)? = error as? ImageError else { return false }
            return path == file && "\(error)".contains("nothing was removed")
        }
    }
}
