import Foundation
import Testing

/// Bad input for image VMs: each refused with the file:line or the VM and the reason, and nothing half-created.
/// No VM boots here: every case fails before a VMM would start.
@Suite("Image VMs: bad input is refused cleanly")
struct ImageVMInputTests {
    static func stack(image: String, sha256: String? = nil, ports: String = "") -> String {
        """
        apiVersion: vmctl/v1
        kind: Stack
        metadata: {name: bad}
        vms:
          db:
            image: {path: \(image)\(sha256.map { ", sha256: \"\($0)\"" } ?? "")}
        \(ports)
        """
    }

    /// A small qcow2 made with qemu-img, and a fresh state folder.
    func setUp() throws -> (E2EStack, String) {
        let env = try E2EStack(stack: "bad")
        let image = env.dir + "/small.qcow2"
        let made = try DebianTestImage.run("/usr/bin/qemu-img", ["create", "-q", "-f", "qcow2", image, "64M"])
        try #require(made.status == 0, "qemu-img: \(made.stderr)")
        return (env, image)
    }

    func expectNothingCreated(_ env: E2EStack, sourcePath: String = #filePath, line: Int = #line) {
        let vmFolder = env.stackFolder + "/vms/db"
        #expect(!FileManager.default.fileExists(atPath: vmFolder), "a VM folder was left: \(env.files(under: vmFolder))")
        let store = env.files(under: env.dir + "/images").filter { !$0.hasSuffix(".lock") && $0 != "sha256" && !$0.hasSuffix("index.json") }
        #expect(store.allSatisfy { !$0.contains("tmp") && !$0.contains("staging") }, "store leftovers: \(store)")
    }

    @Test("a missing image names the VM and the path; nothing is created")
    func missingImage() throws {
        let (env, _) = try setUp()
        defer { env.tearDown() }
        let manifest = try env.write(Self.stack(image: env.dir + "/nope.qcow2"))
        let apply = try env.vmctl("apply", "--auto-approve", manifest)
        #expect(apply.status == 1)
        #expect(apply.stdout.contains("VM 'db'") && apply.stdout.contains("nope.qcow2"), "\(apply.stdout)\(apply.stderr)")
        expectNothingCreated(env)
    }

    @Test("a wrong sha256 names both digests; the store keeps nothing")
    func wrongDigest() throws {
        let (env, image) = try setUp()
        defer { env.tearDown() }
        let actual = try DebianTestImage.sha256(image)
        let wrong = String(repeating: "0", count: 64)
        let manifest = try env.write(Self.stack(image: image, sha256: wrong))
        let apply = try env.vmctl("apply", "--auto-approve", manifest)
        #expect(apply.status == 1)
        #expect(apply.stdout.contains("VM 'db'") && apply.stdout.contains(wrong) && apply.stdout.contains(actual), "\(apply.stdout)")
        expectNothingCreated(env)
        #expect(!env.files(under: env.dir + "/images").contains { $0.contains(actual) }, "the wrong image was stored")
    }

    @Test("a qcow2 with a backing file is refused: the VMM must never read another host file")
    func backingFile() throws {
        let (env, image) = try setUp()
        defer { env.tearDown() }
        let child = env.dir + "/child.qcow2"
        let made = try DebianTestImage.run("/usr/bin/qemu-img", ["create", "-q", "-f", "qcow2", "-b", image, "-F", "qcow2", child])
        try #require(made.status == 0, "\(made.stderr)")
        let manifest = try env.write(Self.stack(image: child))
        let apply = try env.vmctl("apply", "--auto-approve", manifest)
        #expect(apply.status == 1)
        #expect(apply.stdout.contains("VM 'db'") && apply.stdout.contains("backing file"), "\(apply.stdout)")
        expectNothingCreated(env)
    }

    @Test("a host port in use is refused by plan at the manifest's line; a duplicate port at validation")
    func ports() throws {
        let (env, image) = try setUp()
        defer { env.tearDown() }
        // Hold a port the way another program would.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        try #require(bound && listen(fd, 1) == 0)
        let taken = Int(UInt16(bigEndian: address.sin_port))
        let manifest = try env.write(Self.stack(image: image, ports: "    ports: [{host: \(taken), guest: 80}]"))
        let plan = try env.vmctl("plan", manifest)
        #expect(plan.status == 1)
        #expect(plan.stderr.contains("stack.yaml:7:") && plan.stderr.contains("host port tcp 127.0.0.1:\(taken) is in use on this host"), "\(plan.stderr)")
        // validate checks the manifest alone: the same file passes there.
        #expect(try env.vmctl("validate", manifest).status == 0)
        let apply = try env.vmctl("apply", "--auto-approve", manifest)
        #expect(apply.status == 1 && apply.stderr.contains("is in use on this host"), "\(apply.stderr)")
        expectNothingCreated(env)

        let twice = try env.write("""
            apiVersion: vmctl/v1
            kind: Stack
            metadata: {name: bad}
            vms:
              a: {image: {path: \(image)}, ports: [{host: 18081, guest: 80}]}
              b: {image: {path: \(image)}, ports: [{host: 18081, guest: 81}]}

            """, as: "twice.yaml")
        let validate = try env.vmctl("validate", twice)
        #expect(validate.status == 1)
        #expect(validate.stderr.contains("twice.yaml:6:") && validate.stderr.contains("already forwarded by VM 'a'"), "\(validate.stderr)")
    }
}
