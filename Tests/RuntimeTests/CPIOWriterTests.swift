import Foundation
import Testing
@testable import Runtime

@Suite("CPIOWriter: newc archives")
struct CPIOWriterTests {
    static let cpio = GuestTestSupport.tool("cpio")

    func sample() -> Data {
        var writer = CPIOWriter()
        writer.directory("bin")
        writer.directory("dev")
        writer.directory("etc")
        writer.file("bin/tool", contents: Data("#!/bin/sh\necho hi\n".utf8), mode: 0o755)
        writer.file("etc/odd", contents: Data("12345".utf8), mode: 0o640)
        writer.symlink("bin/sh", target: "tool")
        writer.characterDevice("dev/console", major: 5, minor: 1)
        writer.characterDevice("dev/null", major: 1, minor: 3, mode: 0o666)
        return writer.finish()
    }

    @Test("headers are 110 ASCII bytes with magic 070701, and every header and body is 4-byte aligned")
    func layout() throws {
        var writer = CPIOWriter()
        writer.file("/a", contents: Data("xyz".utf8), mode: 0o600)
        let data = writer.finish()
        let header = String(decoding: data.prefix(110), as: UTF8.self)
        #expect(header.hasPrefix("070701"))
        // ino 1, mode 0100600, uid 0, gid 0, nlink 1, mtime 0, size 3, then devices, namesize 2 ("a" + NUL), check 0.
        #expect(header == "070701" + ["00000001", "00008180", "00000000", "00000000", "00000001", "00000000", "00000003",
                                      "00000000", "00000000", "00000000", "00000000", "00000002", "00000000"].joined())
        // 110 + 2 (name) = 112, already aligned; body 3 bytes + 1 pad.
        #expect(data[112..<115] == Data("xyz".utf8))
        #expect(data[115] == 0)
        let trailer = String(decoding: data[116..<(116 + 110 + 11)], as: UTF8.self)
        #expect(trailer.hasPrefix("070701"))
        #expect(trailer.hasSuffix("TRAILER!!!\0"))
        #expect(data.count % 4 == 0)
    }

    @Test("a leading slash is dropped, so cpio -i extracts inside the current folder")
    func relativeNames() {
        var writer = CPIOWriter()
        writer.directory("/etc")
        let data = writer.finish()
        #expect(String(decoding: data[110..<114], as: UTF8.self) == "etc\0")
    }

    @Test("the same entries give the same bytes (the cache hash depends on it)")
    func deterministic() {
        #expect(sample() == sample())
    }

    @Test("finish is idempotent: one trailer")
    func oneTrailer() {
        var writer = CPIOWriter()
        writer.directory("x")
        let first = writer.finish()
        #expect(writer.finish() == first)
    }

    // Skipped where the cpio tool is missing: the round trip is the check that another reader agrees with us.
    @Test("cpio -it lists every entry and cpio -itv shows modes, links and device numbers", .enabled(if: cpio != nil, "the cpio tool is not installed (apt-get install cpio): it is the second reader that must agree with ours"))
    func listWithSystemCpio() throws {
        let folder = try GuestTestSupport.temporaryFolder("cpio-list")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let archive = folder + "/a.cpio"
        try sample().write(to: URL(fileURLWithPath: archive))
        let tool = try #require(Self.cpio)
        let names = try GuestTestSupport.run(tool, ["-it"], stdinFile: archive)
        #expect(names.status == 0, "\(names.stderr)")
        #expect(names.stdout.split(separator: "\n") == ["bin", "dev", "etc", "bin/tool", "etc/odd", "bin/sh", "dev/console", "dev/null"])
        let long = try GuestTestSupport.run(tool, ["-itv"], stdinFile: archive)
        let lines = long.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("-rwxr-xr-x") && $0.hasSuffix("bin/tool") })
        #expect(lines.contains { $0.hasPrefix("-rw-r-----") && $0.hasSuffix("etc/odd") })
        #expect(lines.contains { $0.hasPrefix("lrwxrwxrwx") && $0.hasSuffix("bin/sh -> tool") })
        #expect(lines.contains { $0.hasPrefix("crw-------") && $0.contains("5,") && $0.hasSuffix("dev/console") })
        #expect(lines.contains { $0.hasPrefix("crw-rw-rw-") && $0.contains("1,") && $0.hasSuffix("dev/null") })
    }

    @Test("cpio -idv extracts the files with their contents, modes and links", .enabled(if: cpio != nil, "the cpio tool is not installed (apt-get install cpio): it is the second reader that must agree with ours"))
    func extractWithSystemCpio() throws {
        let folder = try GuestTestSupport.temporaryFolder("cpio-extract")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let archive = folder + "/a.cpio"
        try sample().write(to: URL(fileURLWithPath: archive))
        let out = folder + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let tool = try #require(Self.cpio)
        // Device nodes need root to create; as another user cpio reports them and extracts the rest.
        let result = try GuestTestSupport.run(tool, ["-idv", "--no-absolute-filenames"], in: out, stdinFile: archive)
        #expect(result.stderr.contains("bin/tool"))
        #expect(FileManager.default.contents(atPath: out + "/bin/tool") == Data("#!/bin/sh\necho hi\n".utf8))
        #expect(FileManager.default.contents(atPath: out + "/etc/odd") == Data("12345".utf8))
        let tool0 = try FileManager.default.attributesOfItem(atPath: out + "/bin/tool")
        #expect((tool0[.posixPermissions] as? Int) == 0o755)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out + "/bin/sh") == "tool")
        if geteuid() == 0 {
            #expect(result.status == 0, "\(result.stderr)")
            var info = stat()
            #expect(lstat(out + "/dev/console", &info) == 0)
            #expect(info.st_mode & S_IFMT == S_IFCHR)
            // glibc packs small device numbers as (major << 8) | minor.
            #expect(info.st_rdev == (5 << 8 | 1))
        }
    }
}
