import Foundation
import Testing

/// What the namespace tests need from the host: root, `ip netns` and iptables (bridge and nat networks make
/// bridges, taps and NAT rules), and a host ping to reach the VMs from their namespace.
enum NamespaceHost {
    static func tool(_ name: String) -> String? {
        ["/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"].map { $0 + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static let ip = tool("ip") ?? "ip"
    static let iptables = tool("iptables") ?? "iptables"
    static let ping = tool("ping") ?? "ping"

    static let skipReason = "needs root, network namespaces (`ip netns add` must work), /dev/net/tun, iptables and ping (iputils-ping): bridge and nat networks create bridges, taps and NAT rules, here inside network namespaces the tests create"

    static let ready: Bool = {
        guard geteuid() == 0, tool("ip") != nil, tool("iptables") != nil, tool("ping") != nil,
              FileManager.default.fileExists(atPath: "/dev/net/tun") else { return false }
        // A container without CAP_SYS_ADMIN lists namespaces but cannot make one: try, and remove it at once.
        let probe = "vmctl-t-probe-" + UUID().uuidString.prefix(6).lowercased()
        guard (try? NamespacedStack.run([ip, "netns", "add", probe]).status) == 0 else { return false }
        return (try? NamespacedStack.run([ip, "netns", "del", probe]).status) == 0
    }()
}

/// One test's state directory (an `E2EStack`) plus the network namespaces it creates: vmctl runs inside the
/// first (`ip netns exec`), so its QEMUs, bridges, taps and NAT rules live there. The teardown destroys the
/// stack from inside, ends whatever of it still runs, and deletes every namespace, also after a failure.
final class NamespacedStack {
    let stack: E2EStack
    let namespace: String
    private var namespaces: [String] = []

    init(stack name: String) throws {
        stack = try E2EStack(stack: name)
        namespace = "vmctl-t-" + UUID().uuidString.prefix(6).lowercased()
        _ = try addNamespace(namespace)
    }

    /// Creates a namespace (unique name unless given) with its loopback up; the teardown deletes it.
    @discardableResult
    func addNamespace(_ name: String? = nil) throws -> String {
        let name = name ?? "vmctl-t-" + UUID().uuidString.prefix(6).lowercased()
        try ip("netns", "add", name)
        namespaces.append(name)
        try ip("-n", name, "link", "set", "lo", "up")
        return name
    }

    /// `ip ARGS…` on the host, throwing with its output when it fails.
    func ip(_ arguments: String...) throws {
        let out = try Self.run([NamespaceHost.ip] + arguments)
        guard out.status == 0 else { throw E2EFailure("ip \(arguments.joined(separator: " ")): \(out.stderr)") }
    }

    /// `ip netns exec NS PROGRAM ARGS…`.
    @discardableResult
    func inside(_ name: String, _ program: String, _ arguments: String...) throws -> VMCtlProcess.Output {
        try Self.run([NamespaceHost.ip, "netns", "exec", name, program] + arguments)
    }

    func run(_ argv: [String]) throws -> VMCtlProcess.Output { try Self.run(argv) }

    /// `vmctl COMMAND --state-dir DIR ARGS…` inside the namespace.
    func vmctl(_ command: String, _ arguments: String...) throws -> VMCtlProcess.Output {
        try Self.run([NamespaceHost.ip, "netns", "exec", namespace, VMCtlProcess.binary.path, command, "--state-dir", stack.dir] + arguments)
    }

    /// `vmctl exec VM -- COMMAND…` (the agent's socket is a file, but it runs inside too, like every vmctl call).
    func exec(_ vm: String, _ command: String...) throws -> VMCtlProcess.Output {
        try Self.run([NamespaceHost.ip, "netns", "exec", namespace, VMCtlProcess.binary.path, "exec", "--state-dir", stack.dir, vm, "--"] + command)
    }

    /// Interface names in the namespace, or only those enslaved to `master`.
    func links(master: String? = nil) throws -> [String] {
        let out = try Self.run([NamespaceHost.ip, "-n", namespace, "-o", "link", "show"] + (master.map { ["master", $0] } ?? []))
        guard out.status == 0 else { throw E2EFailure("ip link show: \(out.stderr)") }
        // "4: vt725701bb: <…" or "6: vx0@if5: <…"
        return out.stdout.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 1 else { return nil }
            return String(fields[1].dropLast().split(separator: "@").first ?? "")
        }
    }

    /// The IPv4 addresses (with prefix) on one interface of the namespace.
    func addresses(_ interface: String) throws -> [String] {
        let out = try Self.run([NamespaceHost.ip, "-n", namespace, "-o", "-4", "addr", "show", "dev", interface])
        guard out.status == 0 else { throw E2EFailure("ip addr show \(interface): \(out.stderr)") }
        return out.stdout.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            return fields.firstIndex(of: "inet").flatMap { $0 + 1 < fields.count ? String(fields[$0 + 1]) : nil }
        }
    }

    /// The namespace's net.ipv4.ip_forward.
    func forwarding() throws -> String {
        try inside(namespace, "/bin/cat", "/proc/sys/net/ipv4/ip_forward").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Packet counts of the INPUT rules tagged with a comment, in namespace `name`.
    func counters(in name: String) throws -> [String: Int] {
        // "-A INPUT -s 10.77.2.20/32 -p icmp -m icmp --icmp-type 8 -m comment --comment from-b -c 1 84"
        var counts: [String: Int] = [:]
        for line in try inside(name, NamespaceHost.iptables, "-v", "-S", "INPUT").stdout.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard let tag = fields.firstIndex(of: "--comment"), let count = fields.firstIndex(of: "-c"), count + 1 < fields.count else { continue }
            counts[fields[tag + 1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))] = Int(fields[count + 1])
        }
        return counts
    }

    /// What vmctl recorded it created for a bridge or nat network (`owned.json`).
    struct Owned: Decodable {
        var bridge: String
        var createdBridge: Bool
        var addedAddress: String?
    }

    func owned(_ network: String) throws -> Owned {
        let path = stack.stackFolder + "/networks/\(network)/owned.json"
        return try JSONDecoder().decode(Owned.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    func tearDown() {
        if FileManager.default.fileExists(atPath: stack.stackFolder) {
            let destroy = try? vmctl("destroy", "--stack", stack.stack, "--auto-approve", "--volumes")
            #expect(destroy?.status == 0, "teardown destroy: \(destroy?.stdout ?? "")\(destroy?.stderr ?? "")")
        }
        let left = stack.processes(matching: stack.dir)
        #expect(left.isEmpty, "processes of \(stack.dir) after destroy: \(left.map { "\($0.pid) \($0.argv.prefix(3).joined(separator: " "))" })")
        for process in left { kill(process.pid, SIGKILL) }
        // Deleting a namespace removes its interfaces and rules with it, whatever the test left.
        for name in namespaces.reversed() { _ = try? Self.run([NamespaceHost.ip, "netns", "del", name]) }
        try? FileManager.default.removeItem(atPath: stack.dir)
    }

    static func run(_ argv: [String]) throws -> VMCtlProcess.Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment["COLUMNS"] = "80"
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes before waiting so a large output cannot block the child (outputs here are small).
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return VMCtlProcess.Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                                   stderr: String(decoding: errData, as: UTF8.self))
    }
}
