import Foundation
import Testing

/// `--restrict-paths` and `--allow-path` on validate, plan and apply: host files outside the allowed folders are refused.
@Suite("--restrict-paths and --allow-path")
struct RestrictPathsTests {
    /// One level below /tmp, so `../../etc/shadow` in a manifest here names /etc/shadow.
    let dir: String

    init() throws {
        dir = "/tmp/vmctl-restrict-\(UUID().uuidString.prefix(8).lowercased())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    /// A stack with one VM and a volume imported from `source`; returns the manifest's path.
    func manifest(source: String, name: String = "stack.yaml") throws -> String {
        let path = "\(dir)/\(name)"
        try """
            apiVersion: vmctl/v1
            kind: Stack
            metadata: {name: restrict}
            volumes:
              data: {source: \(source)}
            vms:
              api: {memory: 128MiB, disks: [{volume: data, readOnly: true}]}

            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("source: ../../etc/shadow validates without the flag and is refused with it, at file:line:column")
    func dotDot() throws {
        let path = try manifest(source: "../../etc/shadow")
        #expect(try VMCtlProcess.run(["validate", path]).status == 0)
        let result = try VMCtlProcess.run(["validate", "--restrict-paths", path])
        #expect(result.status == 1)
        #expect(result.stderr == """
            \(path):5:18: error: volumes.data.source: '../../etc/shadow' (/etc/shadow) resolves to /etc/shadow, outside the allowed folders: \(dir)
                hint: name a file inside the allowed folders, or allow its folder with --allow-path DIR

            """)
    }

    @Test("a symlink inside the manifest folder pointing to /etc/shadow is refused; a file there is accepted")
    func symlinkAndPlainFile() throws {
        try FileManager.default.createSymbolicLink(atPath: "\(dir)/disk.img", withDestinationPath: "/etc/shadow")
        let refused = try VMCtlProcess.run(["validate", "--restrict-paths", try manifest(source: "disk.img")])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("resolves to /etc/shadow, outside the allowed folders: \(dir)"), "\(refused.stderr)")
        _ = FileManager.default.createFile(atPath: "\(dir)/plain.img", contents: Data(count: 512))
        let accepted = try VMCtlProcess.run(["validate", "--restrict-paths", try manifest(source: "plain.img")])
        #expect(accepted.status == 0, "\(accepted.stderr)")
    }

    @Test("a folder argument is a root; standard input's root is the current folder")
    func folderAndStandardInput() throws {
        try FileManager.default.createDirectory(atPath: "\(dir)/m", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: "\(dir)/m/disk.img", contents: Data(count: 512))
        _ = try manifest(source: "disk.img", name: "m/stack.yaml")
        #expect(try VMCtlProcess.run(["validate", "--restrict-paths", "\(dir)/m"]).status == 0)
        let text = try String(contentsOfFile: "\(dir)/m/stack.yaml", encoding: .utf8)
        let here = try VMCtlProcess.run(["validate", "--restrict-paths", "-"], stdin: text, in: URL(fileURLWithPath: "\(dir)/m"))
        #expect(here.status == 0, "\(here.stderr)")
        let above = try VMCtlProcess.run(["validate", "--restrict-paths", "-"], stdin: text.replacingOccurrences(of: "disk.img", with: "m/disk.img"),
                                         in: URL(fileURLWithPath: dir))
        #expect(above.status == 0, "\(above.stderr)")
        let outside = try VMCtlProcess.run(["validate", "--restrict-paths", "-"], stdin: text.replacingOccurrences(of: "disk.img", with: "../disk.img"),
                                           in: URL(fileURLWithPath: "\(dir)/m/.."))
        #expect(outside.status == 1)
    }

    @Test("--allow-path DIR admits a file there, by components: it does not admit DIR's sibling DIRb")
    func allowPath() throws {
        for folder in ["m", "srv/a", "srv/ab"] {
            try FileManager.default.createDirectory(atPath: "\(dir)/\(folder)", withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: "\(dir)/\(folder)/base.img", contents: Data(count: 512))
        }
        let inA = try manifest(source: "\(dir)/srv/a/base.img", name: "m/a.yaml")
        #expect(try VMCtlProcess.run(["validate", "--restrict-paths", inA]).status == 1)
        let allowed = try VMCtlProcess.run(["validate", "--allow-path", "\(dir)/srv/a", inA])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        let inAB = try manifest(source: "\(dir)/srv/ab/base.img", name: "m/ab.yaml")
        let sibling = try VMCtlProcess.run(["validate", "--allow-path", "\(dir)/srv/a", inAB])
        #expect(sibling.status == 1)
        #expect(sibling.stderr.contains("resolves to \(dir)/srv/ab/base.img, outside the allowed folders: \(dir)/m, \(dir)/srv/a"), "\(sibling.stderr)")
    }

    @Test("--allow-path of a folder that does not exist is a usage error")
    func allowPathMissing() throws {
        let result = try VMCtlProcess.run(["validate", "--allow-path", "\(dir)/none", try manifest(source: "x.img")])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--allow-path \(dir)/none: no such folder"), "\(result.stderr)")
    }

    @Test("plan --restrict-paths refuses a symlink out of the folder")
    func plan() throws {
        try FileManager.default.createSymbolicLink(atPath: "\(dir)/disk.img", withDestinationPath: "/etc/shadow")
        let result = try VMCtlProcess.run(["plan", "--restrict-paths", "--state-dir", "\(dir)/state", try manifest(source: "disk.img")])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(dir)/stack.yaml:5:18: error: volumes.data.source: 'disk.img'"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test("apply --restrict-paths with a refused path creates nothing in the state folder")
    func applyCreatesNothing() throws {
        let state = "\(dir)/state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let result = try VMCtlProcess.run(["apply", "--auto-approve", "--restrict-paths", "--state-dir", state, try manifest(source: "../../etc/shadow")])
        #expect(result.status == 1)
        #expect(result.stderr.contains("resolves to /etc/shadow, outside the allowed folders"), "\(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: state) == [])
    }

    @Test("apply --plan with --restrict-paths is a usage error: the saved plan has no manifests to check")
    func applySavedPlan() throws {
        let result = try VMCtlProcess.run(["apply", "--plan", "\(dir)/plan.json", "--restrict-paths"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("give them to 'vmctl plan'"), "\(result.stderr)")
    }
}
