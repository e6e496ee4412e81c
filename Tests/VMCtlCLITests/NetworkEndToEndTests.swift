import Foundation
import Testing

/// End-to-end for networks, volumes and `vmctl exec`: real default-guest VMs under QEMU, checked from inside
/// the guests through the agent. Nested in `RealVMTests` (serialized with the other suites that boot VMs);
/// each test shares one stack between its assertions to keep the boots few.
extension RealVMTests {
@Suite("End to end: networks, volumes and exec")
struct NetworkEndToEndTests {
    /// a (leased address) and b (static) share `lan`; c sits alone on `other`. One VM per line: the
    /// validation tests below find their line numbers by searching this text.
    static let net = """
        apiVersion: vmctl/v1
        kind: Stack
        metadata: {name: net}
        networks:
          lan: {subnet: 10.30.0.0/24}
          other: {subnet: 10.31.0.0/24}
        vms:
          a: {cpus: 1, memory: 128MiB, networks: [{network: lan}]}
          b: {cpus: 1, memory: 128MiB, networks: [{network: lan, ip: 10.30.0.20}]}
          c: {cpus: 1, memory: 128MiB, networks: [{network: other}]}

        """

    static let vol = """
        apiVersion: vmctl/v1
        kind: Stack
        metadata: {name: vol}
        volumes:
          data: {size: 32MiB, filesystem: ext4}
        vms:
          w: {cpus: 1, memory: 128MiB, disks: [{volume: data, mountPoint: /data}]}

        """

    @Test("two VMs on one network reach each other by address and by name, a VM on another network does not; the switch counts frames; exec returns output, exit codes, binary data and timeouts; validation refuses detaching a network in use and shared addresses",
          .timeLimit(.minutes(4)))
    func networksAndExec() throws {
        let env = try E2EStack(stack: "net")
        defer { env.tearDown() }
        let manifest = try env.write(Self.net)
        let apply = try env.vmctl("apply", "--auto-approve", manifest)
        #expect(apply.status == 0, "apply: \(apply.stdout)\(apply.stderr)")
        let booted = try env.status(manifest)
        #expect(booted.vms.allSatisfy { $0.state == "running" }, "\(booted.vms)")

        // (a) Same network: by address and by name (the guest's /etc/hosts), both ways.
        for (from, to) in [("a", "b"), ("a", "10.30.0.20"), ("b", "a")] {
            let ping = try env.exec(from, "ping", "-c", "1", "-W", "2", to)
            #expect(ping.status == 0 && ping.stdout.contains("1 packets received"), "\(from) -> \(to): \(ping.stdout)\(ping.stderr)")
        }
        let leases = try String(contentsOfFile: env.stackFolder + "/networks/lan/leases.json", encoding: .utf8)
        #expect(leases.contains("\"a/0\" : \"10.30.0.2\""), "leases: \(leases)")
        let hosts = try env.exec("a", "cat", "/etc/hosts")
        #expect(hosts.stdout.contains("10.30.0.20 b") && !hosts.stdout.contains(" c\n"), "a's /etc/hosts: \(hosts.stdout)")

        // Another network: c has no name for b, no route to it, and even with an address in lan's subnet on
        // its own NIC, its frames never reach lan's switch.
        let byName = try env.exec("c", "ping", "-c", "1", "-W", "2", "b")
        #expect(byName.status != 0 && byName.stderr.contains("bad address 'b'"), "c -> b: \(byName.stdout)\(byName.stderr)")
        let unrouted = try env.exec("c", "ping", "-c", "1", "-W", "2", "10.30.0.20")
        #expect(unrouted.status != 0, "c -> 10.30.0.20: \(unrouted.stdout)\(unrouted.stderr)")
        let alias = try env.exec("c", "ip", "addr", "add", "10.30.0.99/24", "dev", "eth0")
        #expect(alias.status == 0, "\(alias.stderr)")
        let spoofed = try env.exec("c", "ping", "-c", "1", "-W", "2", "10.30.0.20")
        #expect(spoofed.status != 0 && spoofed.stdout.contains("0 packets received"), "c (10.30.0.99) -> b: \(spoofed.stdout)\(spoofed.stderr)")

        // The switches' counters (written at most once a second): lan forwarded between its two ports and
        // learned both MACs; other never sent a frame anywhere (c is alone on it).
        let lan = try env.switchStats("lan") { stats in stats.ports.values.filter { $0.rxFrames > 0 && $0.txFrames > 0 }.count == 2 }
        #expect(lan.ports.count == 2 && lan.learned >= 2, "lan: \(lan)")
        #expect(lan.ports.values.allSatisfy { $0.rxFrames >= 3 && $0.dropped == 0 }, "lan: \(lan)")
        let other = try env.switchStats("other") { $0.ports.values.contains { $0.rxFrames > 0 } }
        #expect(other.ports.count == 1 && other.ports.values.allSatisfy { $0.txFrames == 0 }, "other: \(other)")

        // (d) exec: stdout, stderr and the exit status, kept apart.
        let hello = try env.exec("a", "echo", "hello world")
        #expect(hello.status == 0 && hello.stdout == "hello world\n" && hello.stderr.isEmpty, "\(hello)")
        let failing = try env.exec("a", "sh", "-c", "echo out; echo err >&2; exit 3")
        #expect(failing.status == 3 && failing.stdout == "out\n" && failing.stderr == "err\n", "\(failing)")
        // Binary-safe both ways: every byte value, NULs and newlines included, through the guest's cat.
        var bytes = Data((0..<65_536).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8) })
        bytes.append(contentsOf: [0, 10, 13, 0, 255])
        let echoed = try env.execBinary("a", stdin: bytes, "cat")
        #expect(echoed.status == 0 && echoed.stdout == bytes, "binary round trip: \(echoed.stdout.count) of \(bytes.count) bytes back")
        let digest = try env.execBinary("a", stdin: bytes, "sh", "-c", "wc -c")
        #expect(String(decoding: digest.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "\(bytes.count)")
        // A timeout: exit 124 soon after the limit, and the agent serves the next command.
        let started = ContinuousClock.now
        let slow = try env.vmctl("exec", "--timeout", "2s", "a", "--", "sleep", "30")
        #expect(slow.status == 124 && slow.stderr.contains("ran longer than 2.0 seconds"), "\(slow)")
        #expect(ContinuousClock.now - started < .seconds(10))
        let after = try env.exec("a", "echo", "still here")
        #expect(after.status == 0 && after.stdout == "still here\n", "after the timeout: \(after)")

        // (e) Validation: the manifest loses the network its VMs still use; two VMs claim one address.
        // Refused before anything is touched, naming the file, line, column and field.
        let pids = try env.status().vms.map(\.pid)
        let noLan = try env.write(Self.net.replacingOccurrences(of: "  lan: {subnet: 10.30.0.0/24}\n", with: ""), as: "no-lan.yaml")
        let refusedNetwork = try env.vmctl("apply", "--auto-approve", noLan)
        let aLine = try Self.line(of: "  a: {", in: noLan)
        #expect(refusedNetwork.status == 1)
        #expect(refusedNetwork.stderr.contains("\(noLan):\(aLine):") && refusedNetwork.stderr.contains("error: VM 'a' uses the network 'lan', which is not declared [vms.a.networks[0].network]"),
                "\(refusedNetwork.stdout)\(refusedNetwork.stderr)")
        #expect(refusedNetwork.stderr.contains("error: VM 'b' uses the network 'lan', which is not declared [vms.b.networks[0].network]"))
        let twice = try env.write(Self.net.replacingOccurrences(of: "[{network: lan}]", with: "[{network: lan, ip: 10.30.0.20}]"), as: "twice.yaml")
        let refusedAddress = try env.vmctl("apply", "--auto-approve", twice)
        let bLine = try Self.line(of: "  b: {", in: twice)
        #expect(refusedAddress.status == 1)
        #expect(refusedAddress.stderr.contains("\(twice):\(bLine):") && refusedAddress.stderr.contains("error: the address 10.30.0.20 is already used by VM 'a' [vms.b.networks[0].ip]"),
                "\(refusedAddress.stdout)\(refusedAddress.stderr)")
        // The manifest cannot see leases: b taking a's leased address while a runs is refused by apply.
        let leased = try env.write(Self.net.replacingOccurrences(of: "ip: 10.30.0.20", with: "ip: 10.30.0.2"), as: "leased.yaml")
        let refusedLease = try env.vmctl("apply", "--auto-approve", leased)
        #expect(refusedLease.status != 0 && refusedLease.stdout.contains("VM 'a' got it dynamically and is running with it"),
                "\(refusedLease.stdout)\(refusedLease.stderr)")
        #expect(try env.status().vms.map(\.pid) == pids, "a refused apply changed a VM")
        #expect(try String(contentsOfFile: env.stackFolder + "/networks/lan/leases.json", encoding: .utf8) == leases)
    }

    @Test("a volume keeps its file across stop/start and a replace of its VM; attached read-only to two VMs it is readable from both and writes fail in the guest; validation refuses removing a volume in use",
          .timeLimit(.minutes(4)))
    func volumes() throws {
        let env = try E2EStack(stack: "vol")
        defer { env.tearDown() }
        let manifest = try env.write(Self.vol)
        let apply = try env.vmctl("apply", "--auto-approve", manifest)
        #expect(apply.status == 0, "apply: \(apply.stdout)\(apply.stderr)")
        #expect(try env.status().volumes["data"] == 32 << 20)
        let token = "written-by-w-" + UUID().uuidString
        let write = try env.exec("w", "sh", "-c", "echo \(token) > /data/token && sync && cat /data/token")
        #expect(write.status == 0 && write.stdout == token + "\n", "\(write)")

        // Stop and start: a new VMM, the same file.
        let first = try #require(try env.status()["w"])
        #expect(try env.vmctl("stop", "w").status == 0)
        #expect(try env.vmctl("start", "w").status == 0)
        #expect(try env.status()["w"]?.pid != first.pid)
        #expect(try env.exec("w", "cat", "/data/token").stdout == token + "\n")

        // (e) The manifest drops the volume w still uses: refused, naming the file, line and field.
        let noVolume = try env.write(Self.vol.replacingOccurrences(of: "  data: {size: 32MiB, filesystem: ext4}\n", with: ""), as: "no-volume.yaml")
        let refused = try env.vmctl("apply", "--auto-approve", noVolume)
        let wLine = try Self.line(of: "  w: {", in: noVolume)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\(noVolume):\(wLine):") && refused.stderr.contains("error: VM 'w' uses the volume 'data', which is not declared [vms.w.disks[0].volume]"),
                "\(refused.stdout)\(refused.stderr)")

        // w gets a second disk (a new device layout: a replace) and attaches data read-only from now on.
        let readOnly = Self.vol
            .replacingOccurrences(of: "filesystem: ext4}\n", with: "filesystem: ext4}\n  scratch: {size: 1MiB}\n")
            .replacingOccurrences(of: "[{volume: data, mountPoint: /data}]", with: "[{volume: data, readOnly: true, mountPoint: /data}, {volume: scratch}]")
        let replaced = try env.write(readOnly, as: "replaced.yaml")
        let plan = try env.plan(replaced).changes.filter { $0.action != "noop" }.map { "\($0.address) \($0.action)" }.sorted()
        #expect(plan == ["vm.w replace", "volume.scratch create"], "\(plan)")
        let before = try env.status()["w"]?.pid
        let replace = try env.vmctl("apply", "--auto-approve", replaced)
        #expect(replace.status == 0, "apply: \(replace.stdout)\(replace.stderr)")
        #expect(try env.status()["w"]?.pid != before)
        #expect(try env.exec("w", "cat", "/data/token").stdout == token + "\n", "after the replace")

        // Then r attaches the same volume read-only. (In one apply with the change above, r would boot
        // while w still has the volume mounted read-write, and find its journal in need of recovery.)
        let shared = try env.write(readOnly + "  r: {cpus: 1, memory: 128MiB, disks: [{volume: data, readOnly: true, mountPoint: /data}]}\n",
                                   as: "shared.yaml")
        let share = try env.vmctl("apply", "--auto-approve", shared)
        #expect(share.status == 0, "apply: \(share.stdout)\(share.stderr)")
        for vm in ["w", "r"] {
            #expect(try env.exec(vm, "cat", "/data/token").stdout == token + "\n", "\(vm) reads the file")
            let mounted = try env.exec(vm, "sh", "-c", "grep ' /data ' /proc/mounts; cat /sys/block/vda/ro")
            #expect(mounted.stdout.contains("ext4 ro,") && mounted.stdout.hasSuffix("\n1\n"), "\(vm): \(mounted.stdout)")
            let file = try env.exec(vm, "sh", "-c", "echo more > /data/token")
            #expect(file.status != 0 && file.stderr.contains("Read-only file system"), "\(vm) writes a file: \(file)")
            // Below the filesystem too: the disk itself refuses writes.
            let device = try env.exec(vm, "dd", "if=/dev/zero", "of=/dev/vda", "bs=512", "count=1")
            #expect(device.status == 1 && device.stderr.contains("error writing '/dev/vda': Operation not permitted"),
                    "\(vm) writes the block device: \(device)")
        }
    }

    /// The 1-based line of the first line of the file that contains `needle`.
    static func line(of needle: String, in path: String) throws -> Int {
        let lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
        guard let index = lines.firstIndex(where: { $0.contains(needle) }) else { throw E2EFailure("\(needle) not in \(path)") }
        return index + 1
    }
}
}

/// A switch's `stats.json`, the parts the tests read.
struct E2ESwitchStats: Decodable {
    struct Port: Decodable {
        var rxFrames: UInt64
        var txFrames: UInt64
        var dropped: UInt64
    }

    var ports: [String: Port]
    var learned: Int
    var pid: Int32
}

extension E2EStack {
    /// `vmctl exec VM -- ARGS…` with text output.
    func exec(_ vm: String, _ command: String...) throws -> VMCtlProcess.Output {
        try VMCtlProcess.run(["exec", "--state-dir", dir, vm, "--"] + command)
    }

    /// `vmctl exec --stdin VM -- ARGS…` with bytes in and out.
    func execBinary(_ vm: String, stdin: Data, _ command: String...) throws -> (status: Int32, stdout: Data, stderr: Data) {
        let process = Process()
        process.executableURL = VMCtlProcess.binary
        process.arguments = ["exec", "--state-dir", dir, "--stdin", vm, "--"] + command
        let input = Pipe(), out = Pipe(), err = Pipe()
        process.standardInput = input
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Feed stdin from another thread while this one drains stdout, so neither pipe can fill up and block.
        let writer = Thread {
            input.fileHandleForWriting.write(stdin)
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, outData, errData)
    }

    /// The network's switch counters once `done` holds (the switch writes them at most once a second), or
    /// the last ones read after 5 s.
    func switchStats(_ network: String, until done: (E2ESwitchStats) -> Bool) throws -> E2ESwitchStats {
        let path = stackFolder + "/networks/\(network)/stats.json"
        let deadline = ContinuousClock.now + .seconds(5)
        while true {
            let stats = try JSONDecoder().decode(E2ESwitchStats.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
            if done(stats) || ContinuousClock.now > deadline { return stats }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }
}
