import Foundation
import Testing

/// End-to-end for image VMs: a real Debian 12 cloud image (built by scripts/debian-image, cached per machine)
/// booted by UEFI under QEMU/TCG, provisioned by cloud-init from vmctl's seed, reached with `vmctl ssh`, `vmctl
/// exec` and a forwarded port. Boots take one to two minutes each here, so one stack carries every assertion.
extension RealVMTests {
@Suite("End to end: image VMs (Debian cloud image, cloud-init, SSH, ports)")
struct ImageVMEndToEndTests {
    static func manifest(image: String, webPort: Int, extraFile: Bool = false) -> String {
        let extra = extraFile ? "\n        - {path: /etc/vmctl-second, content: \"second\\n\"}" : ""
        return """
        apiVersion: vmctl/v1
        kind: Stack
        metadata: {name: cloud}
        networks:
          lan: {subnet: 10.50.0.0/24}
        vms:
          db:
            cpus: 1
            memory: 512MiB
            image: {path: \(image), size: 3GiB}
            networks: [{network: lan, ip: 10.50.0.10}]
            ports: [{host: \(webPort), guest: 8000}]
            cloudInit:
              writeFiles:
                - {path: /srv/www/index.html, content: "hello from db\\n", permissions: "0644"}
                - path: /etc/systemd/system/vmctl-web.service
                  content: |
                    [Unit]
                    Description=test web server
                    [Service]
                    ExecStart=/usr/bin/python3 -m http.server 8000 --directory /srv/www
                    [Install]
                    WantedBy=multi-user.target\(extra)
              runcmd:
                - "date +%s%N > /var/tmp/runcmd-marker"
                - "systemctl enable --now vmctl-web.service"
          web:
            replicas: 2
            cpus: 1
            memory: 512MiB
            image: {path: \(image)}
            firmware: bios
            networks: [{network: lan}]

        """
    }

    @Test("two image VMs (one a replica set of 2 on one base, booted by SeaBIOS, the other by UEFI) come up ready; ssh, exec, names, a forwarded port; restart keeps the root disk without re-provisioning; a cloudInit change re-provisions; an image change makes a fresh root disk; a different host key is refused; the base is never written",
          .timeLimit(.minutes(25)))
    func imageVMs() throws {
        let image = try DebianTestImage.path()
        let imageDigest = try DebianTestImage.sha256(image)
        let env = try E2EStack(stack: "cloud")
        defer { env.tearDown() }
        let webPort = try DebianTestImage.freePort()
        let manifest = try env.write(Self.manifest(image: image, webPort: webPort))

        let started = Date()
        let apply = try env.vmctl("apply", "--auto-approve", manifest)
        let bootSeconds = Date().timeIntervalSince(started)
        try #require(apply.status == 0, "apply: \(apply.stdout.suffix(3000))\(apply.stderr)")
        print("image VMs: apply → 3 VMs ready in \(Int(bootSeconds)) s")
        let status = try env.status(manifest)
        #expect(status.vms.map(\.state) == ["running", "running", "running"], "\(status.vms)")
        #expect(Set(status.vms.compactMap(\.image)) == [imageDigest], "one base for all: \(status.vms.map(\.image))")
        #expect(status["db"]?.ports == ["tcp 127.0.0.1:\(webPort) → 8000"])
        let bases = env.files(under: env.dir + "/images/sha256").filter { $0.hasSuffix("/base.qcow2") }
        #expect(bases.count == 1, "stored bases: \(bases)")

        // Provisioned: hostname, a written file, the runcmd marker; names of the stack resolve over `lan`.
        let hostname = try env.vmctl("ssh", "--stack", "cloud", "db", "--", "hostname")
        #expect(hostname.status == 0 && hostname.stdout == "db\n", "\(hostname)")
        let page = try env.vmctl("ssh", "--stack", "cloud", "db", "--", "cat", "/srv/www/index.html")
        #expect(page.stdout == "hello from db\n", "\(page)")
        let marker = try env.vmctl("exec", "--stack", "cloud", "db", "--", "cat", "/var/tmp/runcmd-marker")
        try #require(marker.status == 0 && !marker.stdout.isEmpty, "runcmd marker: \(marker)")
        let byName = try env.vmctl("exec", "--stack", "cloud", "web-1", "--", "python3", "-c",
                                   "import urllib.request; print(urllib.request.urlopen('http://db:8000/', timeout=10).read().decode(), end='')")
        #expect(byName.status == 0 && byName.stdout == "hello from db\n", "web-1 → db by name: \(byName)")
        let replicas = try env.vmctl("exec", "--stack", "cloud", "web-0", "--", "getent", "hosts", "web-1")
        #expect(replicas.status == 0 && replicas.stdout.contains("10.50.0."), "\(replicas)")
        let exitCode = try env.vmctl("exec", "--stack", "cloud", "db", "--", "sh", "-c", "echo out; echo err >&2; exit 3")
        #expect(exitCode.status == 3 && exitCode.stdout == "out\n" && exitCode.stderr == "err\n", "\(exitCode)")

        // The forwarded port, from the host's loopback.
        #expect(try DebianTestImage.httpGet(port: webPort) == "hello from db\n")

        // Restart: same root disk (a file written there stays), no second provisioning (marker unchanged).
        #expect(try env.vmctl("ssh", "--stack", "cloud", "db", "--", "sudo", "sh", "-c", "'echo kept > /var/tmp/kept'").status == 0)
        let restart = try env.vmctl("restart", "--stack", "cloud", "db")
        try #require(restart.status == 0, "restart: \(restart.stdout.suffix(2000))\(restart.stderr)")
        #expect(try env.vmctl("exec", "--stack", "cloud", "db", "--", "cat", "/var/tmp/runcmd-marker").stdout == marker.stdout)
        #expect(try env.vmctl("exec", "--stack", "cloud", "db", "--", "cat", "/var/tmp/kept").stdout == "kept\n")
        #expect(try DebianTestImage.httpGet(port: webPort) == "hello from db\n", "the forward survives the restart")

        // A cloudInit change: the plan says it re-provisions; afterwards the new file is there and runcmd ran again.
        let changed = try env.write(Self.manifest(image: image, webPort: webPort, extraFile: true))
        let plan = try env.vmctl("plan", changed)
        #expect(plan.stdout.contains("cloud-init provisions it again"), "\(plan.stdout)")
        let reprovision = try env.vmctl("apply", "--auto-approve", changed)
        try #require(reprovision.status == 0, "\(reprovision.stdout.suffix(2000))\(reprovision.stderr)")
        #expect(try env.vmctl("exec", "--stack", "cloud", "db", "--", "cat", "/etc/vmctl-second").stdout == "second\n")
        #expect(try env.vmctl("exec", "--stack", "cloud", "db", "--", "cat", "/var/tmp/runcmd-marker").stdout != marker.stdout)
        #expect(try env.vmctl("exec", "--stack", "cloud", "db", "--", "cat", "/var/tmp/kept").stdout == "kept\n", "root disk kept")

        // A different host key at the VM's SSH address (a man in the middle): vmctl ssh refuses it.
        let sshPort = try #require(try env.status(manifest)["db"]?.ssh?.split(separator: ":").last.flatMap { Int($0) })
        #expect(try env.vmctl("stop", "--stack", "cloud", "db").status == 0)
        let impostor = try ImpostorSSHD(port: sshPort, folder: env.dir)
        let refused = try env.vmctl("ssh", "--stack", "cloud", "db", "--", "true")
        impostor.stop()
        #expect(refused.status == 255 && refused.stderr.contains("Host key verification failed"), "\(refused)")
        #expect(try env.vmctl("start", "--stack", "cloud", "db").status == 0)

        // An image change (another path, same bytes): the plan says data-loss, the root disk is fresh.
        let copy = env.dir + "/debian-copy.qcow2"
        try DebianTestImage.copy(image, to: copy)
        let moved = try env.write(Self.manifest(image: copy, webPort: webPort, extraFile: true))
        let replacePlan = try env.plan(moved)
        #expect(replacePlan.changes.contains { $0.address == "vm.db" && $0.action == "replace" && $0.impact == "data-loss" }, "\(replacePlan.changes)")
        let replace = try env.vmctl("apply", "--auto-approve", moved)
        try #require(replace.status == 0, "\(replace.stdout.suffix(2000))\(replace.stderr)")
        let fresh = try env.vmctl("exec", "--stack", "cloud", "db", "--", "test", "-e", "/var/tmp/kept")
        #expect(fresh.status == 1, "the old root disk's file is gone: \(fresh)")

        // The base was never written: the stored copy and the source still hash to the same digest.
        #expect(try DebianTestImage.sha256(image) == imageDigest)
        #expect(try DebianTestImage.sha256(env.dir + "/images/sha256/\(imageDigest)/base.qcow2") == imageDigest)
        let disks = try env.status(moved).vms.map { "\($0.name) \(($0.rootDiskBytes ?? 0) >> 20) MiB" }
        print("image VMs: root disk overlays on the host: \(disks.joined(separator: ", "))")

        // destroy removes the VMs' root disks and seeds, never the base.
        let destroy = try env.vmctl("destroy", "--stack", "cloud", "--auto-approve")
        #expect(destroy.status == 0, "\(destroy.stdout)\(destroy.stderr)")
        #expect(!FileManager.default.fileExists(atPath: env.stackFolder + "/vms/db/root.qcow2"))
        #expect(try DebianTestImage.sha256(env.dir + "/images/sha256/\(imageDigest)/base.qcow2") == imageDigest)
    }
}
}
