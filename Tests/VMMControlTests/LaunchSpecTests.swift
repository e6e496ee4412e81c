import Foundation
import Testing
import VMMControl

@Suite("Launch spec: decoding and validation")
struct LaunchSpecTests {
    static let valid = LaunchSpec(name: "web-1", vcpus: 2, memoryMiB: 256, kernel: "/var/lib/vmctl/vmlinuz",
                                  initrd: "/var/lib/vmctl/initrd.img", cmdline: "console=ttyS0 quiet",
                                  disks: [.init(path: "/var/lib/vmctl/data.img", readOnly: false)],
                                  nets: [.init(mac: "52:54:00:0a:0b:0c", switchSocket: "/run/vmctl/net/lan.sock"),
                                         .init(mac: "52:54:00:0a:0b:0d", tap: "vt-web-1-1")],
                                  consoleLog: "/run/vmctl/web-1/console.log", controlSocket: "/run/vmctl/web-1/control.sock",
                                  serialInput: true, consoleSocket: "/run/vmctl/web-1/console.sock",
                                  agentSocket: "/run/vmctl/web-1/agent.sock")

    func load(_ json: String) -> Result<LaunchSpec, VMMControlError> {
        do { return .success(try LaunchSpec.load(Array(json.utf8))) } catch { return .failure(error) }
    }

    @Test("a valid spec round-trips through JSON")
    func roundTrip() throws {
        let data = try JSONEncoder().encode(Self.valid)
        #expect(try LaunchSpec.load([UInt8](data)) == Self.valid)
        #expect(Self.valid.problems().isEmpty)
    }

    @Test("optional initrd may be absent or null")
    func optionalInitrd() throws {
        let json = #"{"version":1,"name":"a","vcpus":1,"memoryMiB":64,"kernel":"/k","cmdline":"","disks":[],"consoleLog":"/c","controlSocket":"/s","serialInput":false}"#
        #expect(try load(json).get().initrd == nil)
        #expect(try load(json.replacingOccurrences(of: "\"cmdline\"", with: "\"initrd\":null,\"cmdline\"")).get().initrd == nil)
    }

    @Test("a newer version is refused by version, before any field check")
    func version() {
        #expect(load(#"{"version":2,"whatever":true}"#) == .failure(.specUnsupportedVersion(2)))
        guard case .failure(.specMalformed(let message)) = load(#"{"name":"a"}"#) else { Issue.record("accepted"); return }
        #expect(message.contains("version"))
        guard case .failure(.specMalformed(let notJSON)) = load("vcpus: 2") else { Issue.record("accepted"); return }
        #expect(notJSON == "not valid JSON")
    }

    @Test("unknown fields, also inside disks, are named")
    func unknownFields() throws {
        var object = try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(Self.valid)) as? [String: Any])
        object["cpus"] = 2
        object["disks"] = [["path": "/d", "readOnly": true, "cache": "none"]]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        #expect(load(json) == .failure(.specMalformed(#"unknown fields "cpus", "disks[0].cache""#)))
    }

    @Test("type mismatches name the field")
    func types() throws {
        var object = try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(Self.valid)) as? [String: Any])
        object["disks"] = [["path": "/d", "readOnly": "yes"]]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        #expect(load(json) == .failure(.specMalformed("disks[0].readOnly: expected a boolean")))
        object.removeValue(forKey: "disks")
        let missing = String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        #expect(load(missing) == .failure(.specMalformed("disks: required field is missing")))
    }

    @Test("every range problem is collected, each naming its field")
    func problems() {
        var spec = Self.valid
        spec.name = ""
        spec.vcpus = 9
        spec.memoryMiB = 8
        spec.kernel = "vmlinuz"
        spec.initrd = ""
        spec.cmdline = String(repeating: "x", count: 2048)
        spec.disks = [.init(path: "/d", readOnly: true), .init(path: "/d", readOnly: false)]
        spec.consoleLog = "console.log"
        spec.controlSocket = "/" + String(repeating: "s", count: 107)
        let fields = spec.problems().map(\.field)
        #expect(fields == ["name", "vcpus", "memoryMiB", "kernel", "initrd", "cmdline", "disks[1].path", "consoleLog", "controlSocket"])
        let text = VMMControlError.specInvalid(spec.problems()).description
        #expect(text.hasPrefix("validate launch spec: name: must not be empty; vcpus: must be 1 to 8, not 9"))
        #expect(text.contains("cmdline: is 2048 bytes; the kernel takes at most 2047"))
        #expect(text.contains("controlSocket: is 108 bytes; AF_UNIX takes at most 107"))
    }

    @Test("limits are inclusive and control characters are refused", arguments: [1, 8])
    func edges(_ vcpus: Int) {
        var spec = Self.valid
        spec.vcpus = vcpus
        spec.memoryMiB = 16
        spec.cmdline = String(repeating: "x", count: 2047)
        #expect(spec.problems().isEmpty)
        spec.cmdline = "console=ttyS0\ninit=/bin/sh"
        spec.name = "a\u{7}b"
        #expect(spec.problems().map(\.field) == ["name", "cmdline"])
    }

    @Test("the loader errors through the load path as well")
    func loadValidates() throws {
        var spec = Self.valid
        spec.vcpus = 0
        let data = try JSONEncoder().encode(spec)
        #expect(throws: VMMControlError.specInvalid([.init(field: "vcpus", message: "must be 1 to 8, not 0")])) {
            try LaunchSpec.load([UInt8](data))
        }
    }

    @Test("consoleSocket and agentSocket may be absent (none) and are left out when nil")
    func socketsOptional() throws {
        let json = #"{"version":1,"name":"a","vcpus":1,"memoryMiB":64,"kernel":"/k","cmdline":"","disks":[],"consoleLog":"/c","controlSocket":"/s","serialInput":false}"#
        let spec = try load(json).get()
        #expect(spec.consoleSocket == nil && spec.agentSocket == nil)
        let text = String(decoding: try JSONEncoder().encode(spec), as: UTF8.self)
        #expect(!text.contains("consoleSocket") && !text.contains("agentSocket"), "\(text)")
        let with = json.replacingOccurrences(of: "\"serialInput\":false", with: #""serialInput":false,"consoleSocket":"/c.sock","agentSocket":"/a.sock""#)
        let both = try load(with).get()
        #expect(both.consoleSocket == "/c.sock" && both.agentSocket == "/a.sock")
        #expect(load(with.replacingOccurrences(of: "agentSocket", with: "agentSock")) == .failure(.specMalformed(#"unknown field "agentSock""#)))
    }

    @Test("consoleSocket and agentSocket: absolute, at most 107 bytes, not another socket's path")
    func socketProblems() {
        var spec = Self.valid
        spec.consoleSocket = "console.sock"
        spec.agentSocket = "/" + String(repeating: "a", count: 107)
        #expect(spec.problems() == [
            .init(field: "consoleSocket", message: "must be an absolute path, not console.sock"),
            .init(field: "agentSocket", message: "is 108 bytes; AF_UNIX takes at most 107"),
        ])
        spec.agentSocket = "/" + String(repeating: "a", count: 106)
        spec.consoleSocket = spec.controlSocket
        #expect(spec.problems() == [.init(field: "consoleSocket", message: "\(spec.controlSocket) is also controlSocket; each socket needs its own path")])
    }

    @Test("nets may be absent (older specs) and decode as none; their unknown fields are named")
    func netsOptional() throws {
        let json = #"{"version":1,"name":"a","vcpus":1,"memoryMiB":64,"kernel":"/k","cmdline":"","disks":[],"consoleLog":"/c","controlSocket":"/s","serialInput":false}"#
        #expect(try load(json).get().nets == [])
        let withNet = json.replacingOccurrences(of: "\"disks\":[]", with: #""disks":[],"nets":[{"mac":"52:54:00:00:00:01","tap":"t0","queues":2}]"#)
        #expect(load(withNet) == .failure(.specMalformed(#"unknown field "nets[0].queues""#)))
    }

    @Test("NIC problems: MAC form, multicast, zero and duplicate MACs, exactly one backend, interface names, socket length, counts")
    func netProblems() {
        var spec = Self.valid
        spec.nets = [
            .init(mac: "52:54:00:0a:0b", tap: "t0"),
            .init(mac: "01:00:5e:00:00:01", tap: "t1"),
            .init(mac: "00:00:00:00:00:00", tap: "t2"),
            .init(mac: "52:54:00:0A:0B:0C", tap: "t3"),
            .init(mac: "52:54:00:0a:0b:0c", tap: "t4"),
            .init(mac: "52:54:00:00:00:05"),
            .init(mac: "52:54:00:00:00:06", tap: "t6", switchSocket: "/s"),
            .init(mac: "52:54:00:00:00:07", tap: "a-name-of-16byte"),
            .init(mac: "52:54:00:00:00:08", tap: "eth0:1"),
        ]
        let found = spec.problems()
        #expect(found.map(\.field) == ["nets", "nets[0].mac", "nets[1].mac", "nets[2].mac", "nets[4].mac", "nets[5]", "nets[6]",
                                       "nets[7].tap", "nets[8].tap"], "\(found)")
        #expect(found.contains(.init(field: "nets[4].mac", message: "52:54:00:0a:0b:0c is used by another NIC")))
        #expect(found.contains(.init(field: "nets[5]", message: "needs exactly one of tap and switchSocket")))
        spec.nets = [.init(mac: "52:54:00:00:00:01", switchSocket: "relative.sock"),
                     .init(mac: "52:54:00:00:00:02", switchSocket: "/" + String(repeating: "s", count: 107))]
        #expect(spec.problems().map(\.description) == [
            "nets[0].switchSocket: must be an absolute path, not relative.sock",
            "nets[1].switchSocket: is 108 bytes; AF_UNIX takes at most 107",
        ])
        spec.nets = (0..<8).map { .init(mac: String(format: "52:54:00:00:00:%02x", $0 + 1), tap: "t\($0)") }
        spec.disks = (0..<9).map { .init(path: "/d\($0)", readOnly: true) }
        #expect(spec.problems().map(\.description) == ["nets: 9 disks and 8 NICs: at most 16 together"])
    }

    @Test("descriptors: one per resource the spec has, none for one it lacks, each above 2 and once; unknown keys named")
    func descriptors() throws {
        var spec = Self.valid
        spec.descriptors = .init(kernel: 3, initrd: 4, consoleLog: 5, controlSocket: 6, consoleSocket: 7, agentSocket: 8,
                                 disks: [9], nets: [10, 11])
        #expect(spec.problems().isEmpty)
        spec.descriptors = .init(kernel: 2, consoleLog: 5, controlSocket: 5, consoleSocket: 7, disks: [], nets: [10, 11, 12])
        #expect(spec.problems().map(\.description) == [
            "descriptors.initrd: missing: the spec has initrd",
            "descriptors.agentSocket: missing: the spec has agentSocket",
            "descriptors.disks: 0 descriptors for 1 disks",
            "descriptors.nets: 3 descriptors for 2 NICs",
            "descriptors.kernel: must be 3 to 65535 (0-2 are stdin, stdout and stderr), not 2",
            "descriptors.controlSocket: descriptor 5 is also descriptors.consoleLog",
        ])
        var bare = Self.valid
        bare.initrd = nil
        bare.descriptors = .init(kernel: 3, initrd: 4, consoleLog: 5, controlSocket: 6, consoleSocket: 7, agentSocket: 8,
                                 disks: [9], nets: [10, 11])
        #expect(bare.problems().map(\.description) == ["descriptors.initrd: given, but the spec has no initrd"])
        let json = String(decoding: try JSONEncoder().encode(spec), as: UTF8.self)
            .replacingOccurrences(of: "\"kernel\":2", with: "\"kernel\":3,\"vmm\":9")
        guard case .failure(let error) = load(json) else { Issue.record("an unknown descriptor key was accepted"); return }
        #expect("\(error)".contains("unknown field \"descriptors.vmm\""), "\(error)")
    }
}
