import Foundation
import VMCtlModel

/// Bridge and NAT networks (root only): a Linux bridge with the gateway address, so the host reaches the
/// VMs; a tap per NIC on it; for NAT, masquerading of the subnet's outbound traffic and FORWARD rules that let it
/// through. vmctl records what it
/// created (`owned.json`) and removes only that.
struct BridgeNetwork {
    struct Owned: Codable {
        var bridge: String
        var createdBridge: Bool
        var addedAddress: String?
        var natRule: [String]?
        /// FORWARD rules (filter table) that let the subnet's traffic through where that chain drops by default.
        var forwardRules: [[String]]?
    }

    let paths: NetworkPaths
    let stack: String
    let name: String

    var ownedFile: String { paths.directory + "/owned.json" }

    static func hashName(prefix: String, _ text: String) -> String {
        var hash: UInt32 = 0x811c_9dc5
        for byte in text.utf8 { hash = (hash ^ UInt32(byte)) &* 0x0100_0193 }
        let hex = String(hash, radix: 16)
        return prefix + String(repeating: "0", count: 8 - hex.count) + hex   // ≤ 15 characters, as Linux requires
    }

    func bridgeName(_ spec: NetworkSpec) -> String { spec.bridge ?? Self.hashName(prefix: "vb", "\(stack)/\(name)") }

    static func tapName(stack: String, vm: String, nic: Int) -> String { hashName(prefix: "vt", "\(stack)/\(vm)/\(nic)") }

    func create(_ spec: NetworkSpec) throws {
        guard geteuid() == 0 else {
            throw RuntimeError.network(name: name, operation: "create", reason: "mode \(spec.mode.rawValue) needs root (it creates a bridge and taps); use mode: isolated without root")
        }
        try AtomicFile.makeDirectory(paths.directory)
        let bridge = bridgeName(spec)
        var owned = (try? AtomicFile.readJSON(Owned.self, from: ownedFile)) ?? Owned(bridge: bridge, createdBridge: false)
        if !HostCommand.interfaceExists(bridge) {
            guard spec.bridge == nil else {
                throw RuntimeError.network(name: name, operation: "create", reason: "the bridge \(bridge) named in the manifest does not exist")
            }
            try HostCommand.run(["ip", "link", "add", "name", bridge, "type", "bridge"])
            owned.createdBridge = true
        }
        // Recorded after every step: if a later step fails, delete still removes what was made.
        try AtomicFile.writeJSON(owned, to: ownedFile)
        let address = "\(spec.gateway)/\(spec.subnet.prefixLength)"
        let present = try HostCommand.run(["ip", "-o", "-4", "addr", "show", "dev", bridge]).output.contains(" \(address) ")
        if !present {
            try HostCommand.run(["ip", "addr", "add", address, "dev", bridge])
            owned.addedAddress = address
            try AtomicFile.writeJSON(owned, to: ownedFile)
        }
        try HostCommand.run(["ip", "link", "set", bridge, "up"])
        if spec.mode == .nat {
            try enableForwarding()
            let rule = ["POSTROUTING", "-s", "\(spec.subnet)", "!", "-o", bridge, "-j", "MASQUERADE",
                        "-m", "comment", "--comment", "vmctl:\(stack)/\(name)"]
            if try HostCommand.run(["iptables", "-t", "nat", "-C"] + rule, allowFailure: true).status != 0 {
                try HostCommand.run(["iptables", "-t", "nat", "-A"] + rule)
            }
            owned.natRule = rule
            try AtomicFile.writeJSON(owned, to: ownedFile)
            // Out from the bridge, and replies back to it: inserted first, so a chain whose policy (or a
            // rule of Docker's) drops forwarded traffic does not cut the VMs off.
            let comment = ["-m", "comment", "--comment", "vmctl:\(stack)/\(name)"]
            let forward = [["FORWARD", "-i", bridge, "-j", "ACCEPT"] + comment,
                           ["FORWARD", "-o", bridge, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"] + comment]
            for rule in forward where try HostCommand.run(["iptables", "-C"] + rule, allowFailure: true).status != 0 {
                try HostCommand.run(["iptables", "-I"] + rule)
            }
            owned.forwardRules = forward
        }
        try AtomicFile.writeJSON(owned, to: ownedFile)
    }

    /// NAT needs the kernel to route between the bridge and the host's other interfaces. Forwarding is a
    /// host-wide switch that other software (Docker, libvirt, other stacks) may also rely on, so vmctl turns it
    /// on and never turns it off (docs/manifest.md, Networks); writing the file directly needs no sysctl tool.
    private func enableForwarding() throws {
        let file = "/proc/sys/net/ipv4/ip_forward"
        let current = (try? String(contentsOfFile: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        guard current != "1" else { return }
        do {
            try "1\n".write(toFile: file, atomically: false, encoding: .utf8)
        } catch {
            throw RuntimeError.network(name: name, operation: "create",
                                  reason: "mode nat needs IPv4 forwarding, and writing 1 to \(file) failed: \(error.localizedDescription)")
        }
    }

    func delete() {
        guard let owned = try? AtomicFile.readJSON(Owned.self, from: ownedFile) else { return }
        if let rule = owned.natRule { _ = try? HostCommand.run(["iptables", "-t", "nat", "-D"] + rule, allowFailure: true) }
        for rule in owned.forwardRules ?? [] { _ = try? HostCommand.run(["iptables", "-D"] + rule, allowFailure: true) }
        if owned.createdBridge {
            _ = try? HostCommand.run(["ip", "link", "del", owned.bridge], allowFailure: true)
        } else if let address = owned.addedAddress {
            _ = try? HostCommand.run(["ip", "addr", "del", address, "dev", owned.bridge], allowFailure: true)
        }
    }

    func isUp(_ spec: NetworkSpec) -> Bool { HostCommand.interfaceExists(bridgeName(spec)) }

    /// Creates the VM's tap on the bridge if it is missing (it survives restarts; destroy removes it).
    func attachTap(_ tap: String, spec: NetworkSpec) throws {
        if !HostCommand.interfaceExists(tap) {
            try HostCommand.run(["ip", "tuntap", "add", "dev", tap, "mode", "tap"])
        }
        try HostCommand.run(["ip", "link", "set", tap, "master", bridgeName(spec)])
        try HostCommand.run(["ip", "link", "set", tap, "up"])
    }

    static func removeTap(_ tap: String) {
        if HostCommand.interfaceExists(tap) { _ = try? HostCommand.run(["ip", "link", "del", tap], allowFailure: true) }
    }
}
