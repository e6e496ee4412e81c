import Foundation
import Testing
@testable import Provisioning

/// The seed ISO read back with real readers: isoinfo (volume id, Rock Ridge and Joliet names) and blkid.
@Suite(.enabled(if: SystemCommandRunner.locate("genisoimage") != nil && SystemCommandRunner.locate("isoinfo") != nil,
                "genisoimage/isoinfo are not installed (apt-get install genisoimage)"))
struct SeedImageTests {
    static func isoinfo(_ arguments: [String]) throws -> String {
        let result = try Fixtures.run([try #require(SystemCommandRunner.locate("isoinfo"))] + arguments)
        try #require(result.status == 0, "isoinfo \(arguments): \(result.output)")
        return result.output
    }

    @Test func writesACidataVolumeWithTheThreeFiles() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { Fixtures.remove(folder) }
        let seed = try NoCloudSeed(Fixtures.merged)
        let iso = folder + "/vm/seed.iso"
        try SeedImage().write(seed, to: iso)

        #expect(try Self.isoinfo(["-d", "-i", iso]).contains("Volume id: cidata\n"))
        for file in seed.files {
            #expect(try Self.isoinfo(["-R", "-i", iso, "-x", "/" + file.name]) == file.contents, "Rock Ridge \(file.name)")
            #expect(try Self.isoinfo(["-J", "-i", iso, "-x", "/" + file.name]) == file.contents, "Joliet \(file.name)")
        }
        let listing = try Self.isoinfo(["-R", "-f", "-i", iso])
        #expect(listing.split(separator: "\n").sorted() == ["/meta-data", "/network-config", "/user-data"])
        if let blkid = SystemCommandRunner.locate("blkid") {
            let label = try Fixtures.run([blkid, "-p", "-o", "value", "-s", "LABEL", iso])
            #expect(label.output == "cidata\n", "\(label.output)")
        }

        var info = stat()
        #expect(stat(iso, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600, "the seed holds the host's private key")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder + "/vm")
        #expect(leftovers == ["seed.iso"], "staging files are removed: \(leftovers)")
    }

    @Test func replacesAnOldSeed() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { Fixtures.remove(folder) }
        let iso = folder + "/seed.iso"
        try SeedImage().write(try NoCloudSeed(Fixtures.minimal), to: iso)
        let seed = try NoCloudSeed(Fixtures.full)
        try SeedImage().write(seed, to: iso)
        #expect(try Self.isoinfo(["-R", "-i", iso, "-x", "/meta-data"]) == seed.metaData)
    }
}

/// Failures of the tool: named, and nothing left behind.
@Suite struct SeedImageFailureTests {
    struct FailingRunner: CommandRunning {
        var result: Result<CommandResult, ProvisioningError>
        func run(_ tool: String, _ arguments: [String], package: String, directory: String?) throws -> CommandResult {
            try result.get()
        }
    }

    @Test func aMissingToolNamesItsPackage() throws {
        #expect(throws: ProvisioningError.toolMissing(tool: "vmctl-no-such-tool", package: "some-package")) {
            try SystemCommandRunner().run("vmctl-no-such-tool", [], package: "some-package", directory: nil)
        }
        let message = "\(ProvisioningError.toolMissing(tool: "genisoimage", package: "genisoimage"))"
        #expect(message == "genisoimage is not installed; install the Debian package 'genisoimage' (apt-get install genisoimage)")
    }

    @Test func aFailedRunLeavesNoFile() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { Fixtures.remove(folder) }
        let image = SeedImage(runner: FailingRunner(result: .success(CommandResult(status: 1, stdout: "", stderr: "genisoimage: No space left on device\n"))))
        let seed = try NoCloudSeed(Fixtures.minimal)
        let error = #expect(throws: ProvisioningError.self) { try image.write(seed, to: folder + "/seed.iso") }
        #expect(error.map { "\($0)" }?.contains("failed with exit status 1: genisoimage: No space left on device") == true, "\(String(describing: error))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == [])
    }
}
