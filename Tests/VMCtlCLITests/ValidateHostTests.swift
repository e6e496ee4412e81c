import Foundation
import Testing

/// `vmctl validate` checks the manifests alone; `validate --host`, plan and apply check them against this machine.
@Suite("vmctl validate without and with --host")
struct ValidateHostTests {
    static let onlineCPUs = sysconf(Int32(_SC_NPROCESSORS_ONLN))
    /// More than this machine has, whatever runs the tests.
    static let statedCPUs = max(64, onlineCPUs * 2)

    let dir: URL
    let manifest: String

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("vmctl-host-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        manifest = dir.appendingPathComponent("big.yaml").path
        try """
            apiVersion: vmctl/v1
            kind: Stack
            metadata: {name: big}
            host: {cpus: \(Self.statedCPUs)}
            vms:
              db: {cpus: 1, memory: 128MiB, replicas: 48}

            """.write(toFile: manifest, atomically: true, encoding: .utf8)
    }

    var refusal: String { "\(manifest):4:14: error: host.cpus is \(Self.statedCPUs) but this host has \(Self.onlineCPUs) CPUs\n" }

    @Test("a stack whose host.cpus exceeds this machine validates: the verdict does not depend on the machine")
    func validatesAnywhere() throws {
        let result = try VMCtlProcess.run(["validate", manifest])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("valid — stack 'big': 48 VMs (48 vCPUs"), "\(result.stdout)")
    }

    @Test("plan of it refuses with the numbers")
    func planRefuses() throws {
        let state = dir.appendingPathComponent("state").path
        let result = try VMCtlProcess.run(["plan", "--state-dir", state, manifest])
        #expect(result.status == 1)
        #expect(result.stderr == refusal)
        #expect(result.stdout.isEmpty)
    }

    @Test("validate --host refuses it too, with the same message")
    func validateHostRefuses() throws {
        let result = try VMCtlProcess.run(["validate", "--host", "--state-dir", dir.appendingPathComponent("state").path, manifest])
        #expect(result.status == 1)
        #expect(result.stderr == refusal)
    }

    @Test("validate --host refuses files the manifest names that this host lacks; validate alone does not look")
    func missingFiles() throws {
        let text = """
            apiVersion: vmctl/v1
            kind: Stack
            metadata: {name: files}
            volumes:
              data: {source: seed.img}
            vms:
              api: {memory: 128MiB, kernel: {image: /nonexistent/vmlinuz}, disks: [{volume: data}]}

            """
        let path = dir.appendingPathComponent("files.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try VMCtlProcess.run(["validate", path]).status == 0)
        let result = try VMCtlProcess.run(["validate", "--host", "--state-dir", dir.appendingPathComponent("state").path, path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(path):5:18: error: volumes.data.source: 'seed.img' (\(dir.path)/seed.img) cannot be found on this host: no such file or directory\n"), "\(result.stderr)")
        #expect(result.stderr.hasSuffix("\(path):7:41: error: vms.api.kernel.image: /nonexistent/vmlinuz cannot be found on this host: no such file or directory\n"),
                "\(result.stderr)")
        _ = FileManager.default.createFile(atPath: dir.appendingPathComponent("seed.img").path, contents: Data())
        let fixed = try VMCtlProcess.run(["validate", "--host", "--state-dir", dir.appendingPathComponent("state").path, path])
        #expect(!fixed.stderr.contains("seed.img"), "\(fixed.stderr)")
    }
}

extension ValidateHostTests {
    @Test("validate --host refuses a forwarded host port another program listens on; validate alone does not")
    func portInUse() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 1) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        try #require(bound)
        let port = UInt16(bigEndian: address.sin_port)
        _ = FileManager.default.createFile(atPath: dir.appendingPathComponent("base.qcow2").path, contents: Data())
        let path = dir.appendingPathComponent("ports.yaml").path
        try """
            apiVersion: vmctl/v1
            kind: Stack
            metadata: {name: ports}
            vms:
              web: {memory: 1GiB, image: {path: base.qcow2}, ports: [{host: \(port), guest: 80}]}

            """.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try VMCtlProcess.run(["validate", path]).status == 0)
        let result = try VMCtlProcess.run(["validate", "--host", "--state-dir", dir.appendingPathComponent("state").path, path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(path):5:"), "\(result.stderr)")
        #expect(result.stderr.contains("host port tcp 127.0.0.1:\(port) is in use on this host"), "\(result.stderr)")
    }
}
