import Testing
import VMCtlModel
@testable import Provisioning

@Suite struct SeedRequestValidationTests {
    static func message(_ change: (inout SeedRequest) -> Void) -> String? {
        var request = Fixtures.full
        change(&request)
        do { _ = try NoCloudSeed(request); return nil } catch { return "\(error)" }
    }

    @Test func fixturesAreValid() throws {
        for (_, request) in Fixtures.cases { try request.validate() }
    }

    @Test(arguments: [
        (0, "both carry a gateway; at most one default route"),
        (1, "VM name 'Web' contains the uppercase letter"),
        (2, "host name 'db;rm' contains ';'"),
        (3, "has no NIC"),
        (4, "prefix length /33"),
        (5, "two NICs have the MAC address 52:54:00:12:34:56"),
        (6, "may not declare the user 'vmctl'"),
        (7, "declares the user 'alice' twice"),
        (8, "the stack's public key is not a single OpenSSH public key line"),
        (9, "the host private key is not an OpenSSH private key"),
        (10, "stack name '' is empty"),
    ])
    func inconsistentRequestsAreRefused(_ index: Int, _ expected: String) throws {
        let changes: [(inout SeedRequest) -> Void] = [
            { $0.nics[1].gateway = Fixtures.ip("192.168.50.1") },
            { $0.vm = "Web" },
            { $0.hosts[0].name = "db;rm" },
            { $0.nics = [] },
            { $0.nics[0].prefixLength = 33 },
            { $0.nics[1].mac = $0.nics[0].mac },
            { $0.cloudInit?.users.append(CloudInitUser(name: "vmctl")) },
            { $0.cloudInit?.users.append(CloudInitUser(name: "alice")) },
            { $0.authorizedKey = "ssh-ed25519 AAAA\nssh-rsa BBBB" },
            { $0.hostKey.privateKey = "not a key" },
            { $0.stack = "" },
        ]
        let message = try #require(Self.message(changes[index]), "accepted change \(index)")
        #expect(message.hasPrefix("cannot provision: "), "\(message)")
        #expect(message.contains(expected), "\(message)")
    }
}
