import Foundation
import Testing

extension RealVMTests {
/// End-to-end for `bridge` and `nat` networks: real default-guest VMs under QEMU, with vmctl, QEMU, the bridges,
/// taps and NAT rules all inside network namespaces each test creates (`ip netns exec`), so no traffic or
/// rule ever touches the host's own network. Nested in `RealVMTests` (serialized with the other VM suites).
@Suite("End to end: bridge and nat networks in test-made network namespaces",
       .enabled(if: NamespaceHost.ready, Comment(rawValue: NamespaceHost.skipReason)))
struct BridgeEndToEndTests {
    /// `n` behind NAT, `b` on a plain bridge; both bridges are vmctl's own.
    static let routed = """
        apiVersion: vmctl/v1
        kind: Stack
        metadata: {name: bn}
        networks:
          wan: {subnet: 10.77.1.0/24, mode: nat}
          lan: {subnet: 10.77.2.0/24, mode: bridge}
        vms:
          n: {cpus: 1, memory: 128MiB, networks: [{network: wan}]}
          b: {cpus: 1, memory: 128MiB, networks: [{network: lan, ip: 10.77.2.20}]}

        """

    /// Two bridges the test made: `xbr-own` bare (vmctl adds the gateway address), `xbr-pre` already carrying it.
    static let existing = """
        apiVersion: vmctl/v1
        kind: Stack
        metadata: {name: bx}
        networks:
          kept: {subnet: 10.77.3.0/24, mode: bridge, bridge: xbr-own}
          preset: {subnet: 10.77.4.0/24, mode: bridge, bridge: xbr-pre}
        vms:
          e: {cpus: 1, memory: 128MiB, networks: [{network: kept, ip: 10.77.3.30}]}

        """

    @Test("bridge and nat: the namespace reaches both VMs, both reach their gateway; only the nat VM gets replies from a second namespace with no route back (masquerade, forwarding on); destroy removes the bridges, taps and rule it made",
          .timeLimit(.minutes(4)))
    func bridgeAndNAT() throws {
        let env = try NamespacedStack(stack: "bn")
        defer { env.tearDown() }
        // "outside": joined to vmctl's namespace by a veth pair; it knows nothing of 10.77.0.0/16.
        let outside = try env.addNamespace()
        try env.ip("-n", env.namespace, "link", "add", "vx0", "type", "veth", "peer", "name", "vx1", "netns", outside)
        try env.ip("-n", env.namespace, "addr", "add", "192.168.77.1/24", "dev", "vx0")
        try env.ip("-n", env.namespace, "link", "set", "vx0", "up")
        try env.ip("-n", outside, "addr", "add", "192.168.77.2/24", "dev", "vx1")
        try env.ip("-n", outside, "link", "set", "vx1", "up")
        #expect(try env.run([NamespaceHost.ip, "-n", outside, "route", "get", "10.77.1.2"]).status != 0, "outside has a route to the VMs")
        // Counting rules (no target) in outside: which sources its echo requests arrive from.
        for (source, tag) in [("192.168.77.1", "from-masquerade"), ("10.77.1.0/24", "from-n"), ("10.77.2.20", "from-b")] {
            try env.inside(outside, NamespaceHost.iptables, "-A", "INPUT", "-s", source, "-p", "icmp", "--icmp-type", "echo-request",
                           "-m", "comment", "--comment", tag)
        }
        // Forwarding off to start with, whatever the namespace inherited, so it is vmctl that turns it on.
        try env.inside(env.namespace, "/bin/sh", "-c", "echo 0 > /proc/sys/net/ipv4/ip_forward")

        let manifest = try env.stack.write(Self.routed)
        let apply = try env.vmctl("apply", "--auto-approve", manifest)
        #expect(apply.status == 0, "apply: \(apply.stdout)\(apply.stderr)")
        #expect(try env.forwarding() == "1", "nat did not turn on IPv4 forwarding")

        // vmctl's own bridges, each with the VM's tap on it, and the masquerade rule for wan's subnet only.
        let wan = try env.owned("wan"), lan = try env.owned("lan")
        #expect(wan.createdBridge && lan.createdBridge && wan.bridge != lan.bridge, "owned: \(wan) \(lan)")
        let wanTaps = try env.links(master: wan.bridge), lanTaps = try env.links(master: lan.bridge)
        #expect(wanTaps.count == 1 && lanTaps.count == 1, "taps on \(wan.bridge): \(wanTaps), on \(lan.bridge): \(lanTaps)")
        let rules = try env.inside(env.namespace, NamespaceHost.iptables, "-t", "nat", "-S").stdout
        let masquerade = "-A POSTROUTING -s 10.77.1.0/24 ! -o \(wan.bridge) -m comment --comment \"vmctl:bn/wan\" -j MASQUERADE"
        #expect(rules.contains(masquerade) && rules.components(separatedBy: "MASQUERADE").count == 2, "nat table: \(rules)")

        // The host side (the namespace) reaches each VM's address; each VM reaches its gateway on the bridge.
        let leases = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: URL(fileURLWithPath: env.stack.stackFolder + "/networks/wan/leases.json")))
        let nAddress = try #require(leases["n/0"], "wan leases: \(leases)")
        for address in [nAddress, "10.77.2.20"] {
            let ping = try env.inside(env.namespace, NamespaceHost.ping, "-c", "1", "-W", "3", address)
            #expect(ping.status == 0, "namespace -> \(address): \(ping.stdout)\(ping.stderr)")
        }
        for (vm, gateway) in [("n", "10.77.1.1"), ("b", "10.77.2.1")] {
            let ping = try env.exec(vm, "ping", "-c", "1", "-W", "3", gateway)
            #expect(ping.status == 0 && ping.stdout.contains("1 packets received"), "\(vm) -> \(gateway): \(ping.stdout)\(ping.stderr)")
        }

        // n's request leaves with the namespace's address and its reply comes back; b's leaves with its own
        // address, reaches outside, and the reply has nowhere to go.
        let natted = try env.exec("n", "ping", "-c", "1", "-W", "3", "192.168.77.2")
        #expect(natted.status == 0 && natted.stdout.contains("1 packets received"), "n -> outside: \(natted.stdout)\(natted.stderr)")
        let bridged = try env.exec("b", "ping", "-c", "1", "-W", "2", "192.168.77.2")
        #expect(bridged.status != 0 && bridged.stdout.contains("0 packets received"), "b -> outside: \(bridged.stdout)\(bridged.stderr)")
        let arrived = try env.counters(in: outside)
        #expect(arrived["from-masquerade"] == 1 && arrived["from-n"] == 0 && arrived["from-b"] == 1,
                "echo requests that reached outside, by source: \(arrived)")
        // Where FORWARD drops by default (Docker sets that policy), nat still works: vmctl's FORWARD rules let it through.
        try env.inside(env.namespace, NamespaceHost.iptables, "-P", "FORWARD", "DROP")
        let throughDrop = try env.exec("n", "ping", "-c", "1", "-W", "3", "192.168.77.2")
        #expect(throughDrop.status == 0 && throughDrop.stdout.contains("1 packets received"),
                "n -> outside with FORWARD policy DROP: \(throughDrop.stdout)\(throughDrop.stderr)")

        let destroy = try env.vmctl("destroy", "--stack", "bn", "--auto-approve")
        #expect(destroy.status == 0, "destroy: \(destroy.stdout)\(destroy.stderr)")
        let left = try env.links()
        #expect(left.sorted() == ["lo", "vx0"], "interfaces left in the namespace: \(left) (bridges \(wan.bridge) \(lan.bridge), taps \(wanTaps + lanTaps))")
        let rulesAfter = try env.inside(env.namespace, NamespaceHost.iptables, "-t", "nat", "-S").stdout
        #expect(!rulesAfter.contains("vmctl:") && !rulesAfter.contains("MASQUERADE"), "nat table after destroy: \(rulesAfter)")
        let forwardAfter = try env.inside(env.namespace, NamespaceHost.iptables, "-S", "FORWARD").stdout
        #expect(!forwardAfter.contains("vmctl:"), "FORWARD chain after destroy: \(forwardAfter)")
        // Documented (docs/manifest.md): forwarding is host-wide, so vmctl leaves it on.
        #expect(try env.forwarding() == "1")
        #expect(env.stack.processes().isEmpty, "processes left: \(env.stack.processes())")
        #expect(!FileManager.default.fileExists(atPath: env.stack.stackFolder), "left: \(env.stack.files(under: env.stack.stackFolder))")
    }

    @Test("a bridge named in the manifest: a missing one is refused by name; an existing one carries the VM, and destroy keeps it, removes only the address and tap vmctl added, and leaves an address it found",
          .timeLimit(.minutes(4)))
    func existingBridge() throws {
        let env = try NamespacedStack(stack: "bx")
        defer { env.tearDown() }
        try env.ip("-n", env.namespace, "link", "add", "xbr-own", "type", "bridge")
        try env.ip("-n", env.namespace, "link", "add", "xbr-pre", "type", "bridge")
        try env.ip("-n", env.namespace, "addr", "add", "10.77.4.1/24", "dev", "xbr-pre")
        try env.ip("-n", env.namespace, "link", "set", "xbr-pre", "up")

        // Named but absent: apply fails naming the network and the bridge, and creates no bridge of that name.
        let missing = try env.stack.write(Self.existing.replacingOccurrences(of: "bridge: xbr-own", with: "bridge: xbr-gone"), as: "missing.yaml")
        let refused = try env.vmctl("apply", "--auto-approve", missing)
        let refusal = refused.stdout + refused.stderr
        #expect(refused.status != 0 && refusal.contains("network 'kept': create failed") && refusal.contains("the bridge xbr-gone named in the manifest does not exist"),
                "\(refusal)")
        #expect(try !env.links().contains("xbr-gone"))

        let manifest = try env.stack.write(Self.existing)
        let apply = try env.vmctl("apply", "--auto-approve", manifest)
        #expect(apply.status == 0, "apply: \(apply.stdout)\(apply.stderr)")
        let kept = try env.owned("kept"), preset = try env.owned("preset")
        #expect(kept.bridge == "xbr-own" && !kept.createdBridge && kept.addedAddress == "10.77.3.1/24", "kept: \(kept)")
        #expect(preset.bridge == "xbr-pre" && !preset.createdBridge && preset.addedAddress == nil, "preset: \(preset)")
        let taps = try env.links(master: "xbr-own")
        #expect(taps.count == 1, "taps on xbr-own: \(taps)")
        let ping = try env.inside(env.namespace, NamespaceHost.ping, "-c", "1", "-W", "3", "10.77.3.30")
        #expect(ping.status == 0, "namespace -> e: \(ping.stdout)\(ping.stderr)")
        let gateway = try env.exec("e", "ping", "-c", "1", "-W", "3", "10.77.3.1")
        #expect(gateway.status == 0 && gateway.stdout.contains("1 packets received"), "e -> 10.77.3.1: \(gateway.stdout)\(gateway.stderr)")

        let destroy = try env.vmctl("destroy", "--stack", "bx", "--auto-approve")
        #expect(destroy.status == 0, "destroy: \(destroy.stdout)\(destroy.stderr)")
        #expect(try env.links().sorted() == ["lo", "xbr-own", "xbr-pre"], "the tap \(taps) should be gone, both bridges kept")
        #expect(try env.addresses("xbr-own").isEmpty, "vmctl's gateway address stayed on xbr-own")
        #expect(try env.addresses("xbr-pre") == ["10.77.4.1/24"], "the address xbr-pre had before apply")
        #expect(env.stack.processes().isEmpty, "processes left: \(env.stack.processes())")
    }
}
}
