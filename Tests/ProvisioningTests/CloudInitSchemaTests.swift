import Foundation
import Testing
@testable import Provisioning

/// Every generated user-data passes cloud-init's own validator (`cloud-init schema --config-file`, 22.4: not
/// under `devel`), which exits 1 on schema errors (and, for example, rejects `ssh_genkeytypes: []`).
@Suite(.enabled(if: Fixtures.hasCloudInit, "cloud-init is not installed (apt-get install cloud-init)"))
struct CloudInitSchemaTests {
    static func validate(_ userData: String) throws -> (status: Int32, output: String) {
        let folder = try Fixtures.temporaryFolder()
        defer { Fixtures.remove(folder) }
        try Fixtures.write(userData, to: folder + "/user-data")
        return try Fixtures.run(["/usr/bin/cloud-init", "schema", "--config-file", folder + "/user-data"])
    }

    @Test(arguments: Fixtures.cases.map(\.name))
    func generatedUserDataIsValid(_ name: String) throws {
        let request = try #require(Fixtures.cases.first { $0.name == name }?.request)
        let result = try Self.validate(try NoCloudSeed(request).userData)
        #expect(result.status == 0, "\(name): cloud-init schema: \(result.output)")
        #expect(result.output.contains("Valid cloud-config"), "\(name): \(result.output)")
    }

    /// The validator can fail: what brief-era vmctl would have written (`ssh_genkeytypes: []`) is refused.
    @Test func validatorRejectsAnEmptyGenkeytypes() throws {
        let result = try Self.validate("#cloud-config\nssh_genkeytypes: []\n")
        #expect(result.status != 0)
        #expect(result.output.contains("ssh_genkeytypes"))
    }
}
