import Foundation
import Testing
@testable import Provisioning

/// The seed's three files for representative requests, compared byte for byte with Golden/<case>/.
/// Regenerate with `VMCTL_UPDATE_GOLDEN=1 swift test --filter ProvisioningTests` and review the diff.
@Suite struct NoCloudSeedGoldenTests {
    @Test(arguments: Fixtures.cases.map(\.name))
    func matchesGolden(_ name: String) throws {
        let request = try #require(Fixtures.cases.first { $0.name == name }?.request)
        let seed = try NoCloudSeed(request)
        let folder = Fixtures.goldenFolder + "/" + name
        for file in seed.files {
            let path = folder + "/" + file.name
            if Fixtures.updatingGoldens {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                try Fixtures.write(file.contents, to: path)
            }
            let expected = Fixtures.read(path)
            #expect(expected != nil, "\(name)/\(file.name): no golden (VMCTL_UPDATE_GOLDEN=1, then review)")
            #expect(file.contents == expected, "\(name)/\(file.name) differs from its golden")
        }
    }

    @Test func metaDataNamesTheInstanceAndHost() throws {
        let seed = try NoCloudSeed(Fixtures.minimal)
        #expect(seed.metaData == "instance-id: \(seed.instanceID)\nlocal-hostname: web\n")
        #expect(seed.instanceID.hasPrefix("vmctl-") && seed.instanceID.count == 22)
        #expect(seed.userData.hasPrefix("#cloud-config\n"))
        #expect(seed.files.map(\.name) == ["meta-data", "user-data", "network-config"])
    }

    @Test func hostsOrderDoesNotChangeTheSeed() throws {
        var reversed = Fixtures.full
        reversed.hosts.reverse()
        #expect(try NoCloudSeed(reversed) == NoCloudSeed(Fixtures.full))
        reversed.hosts += Fixtures.full.hosts
        #expect(try NoCloudSeed(reversed) == NoCloudSeed(Fixtures.full), "a host given twice is written once")
    }
}
