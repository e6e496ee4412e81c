import Foundation
import Testing
import VMCtlModel
@testable import Provisioning

/// The seed read by the cloud-init installed here (Debian 12's 22.4), through its own Python code:
/// PyYAML's reading of the YAML, the v2 network parser and ENI renderer, and `manage_etc_hosts: localhost`.
@Suite(.enabled(if: Fixtures.hasCloudInit, "cloud-init is not installed (apt-get install cloud-init)"))
struct CloudInitBehaviourTests {
    /// Runs `script` with Debian's python3 (which has the cloudinit package) and `arguments`.
    static func python(_ script: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let folder = try Fixtures.temporaryFolder()
        defer { Fixtures.remove(folder) }
        try Fixtures.write(script, to: folder + "/check.py")
        return try Fixtures.run([Fixtures.systemPython, folder + "/check.py"] + arguments)
    }

    /// PyYAML (YAML 1.1, as cloud-init loads user-data) reads the types vmctl meant.
    @Test func pyyamlReadsTheIntendedValues() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { Fixtures.remove(folder) }
        let seed = try NoCloudSeed(Fixtures.merged)
        for file in seed.files { try Fixtures.write(file.contents, to: folder + "/" + file.name) }
        let result = try Self.python("""
            import json, sys, yaml
            folder = sys.argv[1]
            docs = {name: yaml.safe_load(open(folder + "/" + name)) for name in ["meta-data", "user-data", "network-config"]}
            print(json.dumps(docs, sort_keys=True))
            """, [folder])
        try #require(result.status == 0, "\(result.output)")
        let docs = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let meta = try #require(docs["meta-data"] as? [String: Any])
        #expect(meta["instance-id"] as? String == seed.instanceID)
        #expect(meta["local-hostname"] as? String == "web")
        let user = try #require(docs["user-data"] as? [String: Any])
        #expect(user["hostname"] as? String == "web")
        #expect(user["manage_etc_hosts"] as? String == "localhost")
        #expect(user["ssh_pwauth"] as? Bool == false)
        #expect(user["ssh_deletekeys"] as? Bool == true)
        let keys = try #require(user["ssh_keys"] as? [String: String])
        #expect(keys == ["ed25519_private": Fixtures.hostKey.privateKey, "ed25519_public": Fixtures.hostKey.publicKey])
        let runcmd = try #require(user["runcmd"] as? [Any])
        #expect(runcmd.last as? String == "yes", "a quoted 'yes' stays a string")
        let files = try #require(user["write_files"] as? [[String: Any]])
        #expect(files.map { $0["permissions"] as? String } == ["0644", "0600", "0640", nil], "permissions stay octal strings")
        #expect(files[1]["defer"] as? Bool == true)
        #expect(files[3]["content"] as? String == "server { listen 80; }\n", "an alias is expanded")
        let users = try #require(user["users"] as? [Any])
        #expect(users.first as? String == "default")
        #expect((users[1] as? [String: Any])?["name"] as? String == "vmctl")
        #expect((users[1] as? [String: Any])?["ssh_authorized_keys"] as? [String] == [Fixtures.stackKey])
        let network = try #require(docs["network-config"] as? [String: Any])
        let ethernets = try #require(network["ethernets"] as? [String: [String: Any]])
        #expect((ethernets["nic0"]?["match"] as? [String: String])?["macaddress"] == "52:54:00:12:34:56",
                "a MAC that looks sexagesimal stays a string")
    }

    /// cloud-init's v2 parser and Debian's ENI renderer, with the guest's interfaces faked by MAC: each entry
    /// configures the kernel's own name (no rename), only the default-route NIC gets a gateway.
    @Test func networkConfigRendersToTheGuestsInterfaces() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { Fixtures.remove(folder) }
        try Fixtures.write(try NoCloudSeed(Fixtures.full).networkConfig, to: folder + "/network-config")
        let result = try Self.python("""
            import sys
            from unittest import mock
            from cloudinit import safeyaml
            from cloudinit.distros import debian
            from cloudinit.net import eni, network_state
            path, out = sys.argv[1], sys.argv[2]
            macs = dict(pair.split("=", 1) for pair in sys.argv[3:])
            with mock.patch.object(network_state, "get_interfaces_by_mac", return_value=macs), \\
                 mock.patch.object(network_state, "find_interface_name_from_mac", side_effect=macs.get):
                state = network_state.parse_net_config_data(safeyaml.load(open(path).read()))
                eni.Renderer(debian.Distro.renderer_configs.get("eni")).render_network_state(state, target=out)
            print(open(out + "/etc/network/interfaces.d/50-cloud-init").read())
            print(open(out + "/etc/udev/rules.d/70-persistent-net.rules").read())
            """, [folder + "/network-config", folder + "/out",
                  "52:54:00:12:34:56=ens3", "52:54:00:ab:cd:ef=ens4", "52:54:00:6d:00:01=ens5"])
        try #require(result.status == 0, "\(result.output)")
        let out = result.output
        #expect(out.contains("auto ens3\niface ens3 inet static\n    address 10.10.0.2/24\n    gateway 10.10.0.1\n"), "\(out)")
        #expect(out.contains("auto ens4\niface ens4 inet static\n    address 192.168.50.7/28\n\n"), "\(out)")
        #expect(out.contains("auto ens5\niface ens5 inet static\n    address 10.0.2.15/24\n"), "\(out)")
        #expect(out.components(separatedBy: "gateway").count == 2, "one default route: \(out)")
        #expect(!out.contains("nic0") && !out.contains("post-up route"), "\(out)")
        for (mac, name) in [("52:54:00:12:34:56", "ens3"), ("52:54:00:ab:cd:ef", "ens4"), ("52:54:00:6d:00:01", "ens5")] {
            #expect(out.contains("ATTR{address}==\"\(mac)\", NAME=\"\(name)\""), "\(mac) keeps its kernel name: \(out)")
        }
    }

    /// The bootcmd's block survives, replaced not repeated, and `manage_etc_hosts: localhost` (cloud-init's own
    /// Debian update_etc_hosts, which re-renders entries with tabs) only adds its 127.0.1.1 line; from the second
    /// boot on the file no longer changes.
    @Test func etcHostsKeepsTheStacksNames() throws {
        let folder = try Fixtures.temporaryFolder()
        defer { Fixtures.remove(folder) }
        let hosts = folder + "/hosts"
        try Fixtures.write("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n10.9.9.9 mine", to: hosts)
        let old = EtcHostsBlock.script(stack: "old", hosts: [.init(name: "gone", address: Fixtures.ip("10.0.0.9"))], path: hosts)
        let current = EtcHostsBlock.script(stack: "shop", hosts: Fixtures.full.hosts, path: hosts)
        for script in [old, current, current] {
            let run = try Fixtures.run(["/bin/sh", "-c", script])
            try #require(run.status == 0, "\(run.output)")
        }
        let block = """
            # BEGIN vmctl hosts (stack shop)
            10.10.0.4 cache
            192.168.50.8 cache
            10.10.0.3 db
            # END vmctl hosts

            """
        #expect(Fixtures.read(hosts) == "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n10.9.9.9 mine\n" + block)
        // A boot: the bootcmd, then cloud-init's update_etc_hosts for hostname "web" (fqdn "web").
        func boot() throws -> String {
            let run = try Fixtures.run(["/bin/sh", "-c", current])
            try #require(run.status == 0, "\(run.output)")
            let result = try Self.python("""
                import sys
                from cloudinit.distros import debian
                distro = debian.Distro("debian", {}, None)
                distro.hosts_fn = sys.argv[1]
                distro.update_etc_hosts("web", "web")
                """, [hosts])
            try #require(result.status == 0, "\(result.output)")
            return try #require(Fixtures.read(hosts)).replacingOccurrences(of: "\t", with: " ")
        }
        let first = try boot()
        #expect(first.contains(block), "\(first)")
        #expect(first.contains("10.9.9.9 mine\n") && first.contains("127.0.1.1 web web\n"), "\(first)")
        let second = try boot()
        #expect(try boot() == second, "the file changes at every boot")
        for text in [first, second] {
            #expect(text.components(separatedBy: "127.0.1.1").count == 2, "\(text)")
            #expect(text.components(separatedBy: "# BEGIN vmctl hosts").count == 2, "\(text)")
            #expect(!text.contains("gone"), "\(text)")
        }
    }

    /// The bootcmd in the seed is the script tested above, for /etc/hosts.
    @Test func theSeedRunsTheBlockScript() throws {
        let userData = try NoCloudSeed(Fixtures.full).userData
        #expect(userData.contains("bootcmd:\n- - sh\n  - -c\n  - \(EtcHostsBlock.script(stack: "shop", hosts: Fixtures.full.hosts))\n"))
    }
}
