import Testing
import VMCtlModel
@testable import Provisioning

/// The instance-id is a digest of the seed: equal requests keep it, any change gives a new one (re-provision).
@Suite struct InstanceIDTests {
    static func id(_ request: SeedRequest, userData: String? = nil) throws -> String {
        try NoCloudSeed(request, readFile: { _ in userData ?? "#cloud-config\n" }).instanceID
    }

    @Test func equalRequestsKeepTheID() throws {
        for (name, request) in Fixtures.cases {
            #expect(try Self.id(request) == Self.id(request), "\(name)")
        }
        #expect(try Self.id(Fixtures.minimal) != Self.id(Fixtures.full))
    }

    /// Each change is one field of the request; every one must give a new id.
    static let changes: [(String, @Sendable (inout SeedRequest) -> Void)] = [
        ("stack", { $0.stack = "shop2" }),
        ("vm", { $0.vm = "web2" }),
        ("nic mac", { $0.nics[0].mac = Fixtures.mac("52:54:00:12:34:57") }),
        ("nic address", { $0.nics[0].address = Fixtures.ip("10.10.0.9") }),
        ("nic prefix", { $0.nics[0].prefixLength = 16 }),
        ("nic gateway", { $0.nics[0].gateway = nil }),
        ("nic order", { $0.nics.swapAt(0, 1) }),
        ("nic added", { $0.nics.append(.init(mac: Fixtures.mac("52:54:00:00:00:99"), address: Fixtures.ip("172.16.0.2"), prefixLength: 24)) }),
        ("mount added", { $0.mounts.append(.init(device: "/dev/vdb", mountPoint: "/data", readOnly: false)) }),
        ("authorized key", { $0.authorizedKey = Fixtures.aliceKey }),
        ("host key", { $0.hostKey.publicKey = Fixtures.stackKey }),
        ("user sudo", { $0.cloudInit?.users[1].sudo = true }),
        ("user key", { $0.cloudInit?.users[1].sshAuthorizedKeys = [Fixtures.aliceKey] }),
        ("user shell", { $0.cloudInit?.users[1].shell = "/bin/sh" }),
        ("user groups", { $0.cloudInit?.users[1].groups = ["adm"] }),
        ("file content", { $0.cloudInit?.writeFiles[0].content = "changed\n" }),
        ("file permissions", { $0.cloudInit?.writeFiles[0].permissions = "0600" }),
        ("file owner", { $0.cloudInit?.writeFiles[0].owner = "root:adm" }),
        ("runcmd", { $0.cloudInit?.runcmd.append("true") }),
        ("no cloudInit", { $0.cloudInit = nil }),
    ]

    @Test(arguments: changes.indices)
    func anyChangeGivesANewID(_ index: Int) throws {
        let (name, change) = Self.changes[index]
        var request = Fixtures.full
        change(&request)
        #expect(request != Fixtures.full, "\(name): the change changed nothing")
        #expect(try Self.id(request) != Self.id(Fixtures.full), "\(name) kept the instance-id")
    }

    /// The stack's names are refreshed at every boot: a neighbour joining or leaving is no reason to provision again,
    /// but the user-data still carries the new names.
    @Test func neighboursKeepTheIDButReachTheUserData() throws {
        var moved = Fixtures.full
        moved.hosts[0].address = Fixtures.ip("10.10.0.30")
        var fewer = Fixtures.full
        fewer.hosts.removeLast()
        for request in [moved, fewer] {
            #expect(try Self.id(request) == Self.id(Fixtures.full))
            let seed = try NoCloudSeed(request, readFile: { _ in "#cloud-config\n" })
            let original = try NoCloudSeed(Fixtures.full, readFile: { _ in "#cloud-config\n" })
            #expect(seed.userData != original.userData)
        }
    }

    @Test func userDataFileContentChangesTheID() throws {
        let a = try Self.id(Fixtures.merged, userData: "#cloud-config\ntimezone: UTC\n")
        let b = try Self.id(Fixtures.merged, userData: "#cloud-config\ntimezone: Europe/Paris\n")
        let comment = try Self.id(Fixtures.merged, userData: "#cloud-config\n# a comment\ntimezone: UTC\n")
        #expect(a != b)
        #expect(a == comment, "a comment is not part of the merged document, so it does not re-provision")
    }

    @Test func derivationSeparatesItsParts() {
        #expect(InstanceID.derive(hostname: "a", userData: "b", networkConfig: "c")
            != InstanceID.derive(hostname: "ab", userData: "", networkConfig: "c"))
        #expect(InstanceID.derive(hostname: "a", userData: "b", networkConfig: "c") == InstanceID.derive(hostname: "a", userData: "b", networkConfig: "c"))
    }
}
