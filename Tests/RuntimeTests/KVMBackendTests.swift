import Foundation
import Testing
import VMCtlModel
import VMMControl
@testable import Runtime

/// The kvm backend without hardware KVM: backend choice with an injected host and boot check, the launch spec
/// it writes, and its whole life cycle against a stand-in vmctl-vmm (Python, speaking the control protocol).
@Suite("KVM backend")
struct KVMBackendTests {
    static let hardware = HostVirtualization(hardwareKVM: true, reason: "/dev/kvm backed by kvm_intel")
    static let nested = HostVirtualization(hardwareKVM: false, reason: "/dev/kvm is nested through kvm_pvm (emulated, too slow for Linux)")
    static let boots = KVMBootSupport(canBoot: true, reason: "vmctl-vmm 9.0 boots guests")
    static let unbooted = KVMBootSupport(canBoot: false, reason: "vmctl-vmm 0.1.0 cannot boot guests yet: no VMM core")

    /// Counts how often the backend choice asks vmctl-vmm whether it boots.
    final class Asked: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func bump() { lock.lock(); count += 1; lock.unlock() }
        var value: Int { lock.lock(); defer { lock.unlock() }; return count }
    }

    static func runtime(_ host: HostVirtualization, kvm support: KVMBootSupport?, asked: Asked = Asked(),
                        binary: String = "/nonexistent/vmctl-vmm", state: String = "/nonexistent") -> StackRuntime {
        var backends: [any Backend] = [QEMUBackend(virtualization: host)]
        if let support { backends.append(KVMBackend(binary: binary, bootSupport: { asked.bump(); return support })) }
        return StackRuntime(stateDirectory: StateDirectory(path: state), stack: "s", backends: backends, virtualization: host)
    }

    // MARK: Backend choice

    @Test("auto: kvm with hardware KVM and a vmctl-vmm that boots; the reason names the module")
    func autoPicksKVM() throws {
        let (kind, reason) = try Self.runtime(Self.hardware, kvm: Self.boots).backendChoice(for: VMSpec(name: "a"))
        #expect(kind == .kvm)
        #expect(reason == "auto: kvm (/dev/kvm backed by kvm_intel)")
    }

    @Test("auto: qemu with TCG on a nested /dev/kvm, without asking vmctl-vmm")
    func autoNested() throws {
        let asked = Asked()
        let (kind, reason) = try Self.runtime(Self.nested, kvm: Self.boots, asked: asked).backendChoice(for: VMSpec(name: "a"))
        #expect(kind == .qemu)
        #expect(reason == "auto: qemu with TCG (/dev/kvm is nested through kvm_pvm (emulated, too slow for Linux))")
        #expect(asked.value == 0)
    }

    @Test("auto: qemu with KVM when vmctl-vmm cannot boot, is missing, or cannot run the spec; the reason says which",
          arguments: [
            (KVMBootSupport?.some(unbooted), VMSpec(name: "a"), "vmctl-vmm 0.1.0 cannot boot guests yet: no VMM core"),
            (nil, VMSpec(name: "a"), "vmctl-vmm is not installed beside vmctl (build it: swift build --product vmctl-vmm)"),
            (boots, VMSpec(name: "a", networks: (0..<9).map { _ in NICSpec(network: "lan") }), "the kvm backend attaches at most 8 NICs, not 9"),
            (boots, VMSpec(name: "a", cpus: 12), "the kvm backend runs 1 to 8 vCPUs, not 12"),
            (boots, VMSpec(name: "a", image: ImageSpec(path: "/images/debian.qcow2")),
             "the kvm backend boots kernels directly: it has no firmware for an image's bootloader and no user-mode network for SSH and ports"),
          ])
    func autoFallsBack(_ support: KVMBootSupport?, _ spec: VMSpec, _ why: String) throws {
        let (kind, reason) = try Self.runtime(Self.hardware, kvm: support).backendChoice(for: spec)
        #expect(kind == .qemu)
        #expect(reason == "auto: qemu with KVM (/dev/kvm backed by kvm_intel; \(why))")
    }

    @Test("backend: kvm is taken where it can run, with the host in the reason")
    func explicitKVM() throws {
        let (kind, reason) = try Self.runtime(Self.hardware, kvm: Self.boots).backendChoice(for: VMSpec(name: "a", backend: .kvm))
        #expect(kind == .kvm)
        #expect(reason == "backend: kvm in the manifest (/dev/kvm backed by kvm_intel)")
    }

    @Test("backend: kvm where it cannot run fails at once, naming every reason")
    func explicitKVMRefused() throws {
        let runtime = Self.runtime(Self.nested, kvm: Self.unbooted)
        let error = try #require(throws: RuntimeError.self) { try runtime.backendChoice(for: VMSpec(name: "a", backend: .kvm)) }
        #expect("\(error)" == "VM 'a': choose backend failed: backend: kvm cannot run it on this host: /dev/kvm is nested through kvm_pvm (emulated, too slow for Linux); vmctl-vmm needs hardware KVM (kvm_intel or kvm_amd); vmctl-vmm 0.1.0 cannot boot guests yet: no VMM core; use backend: qemu or auto")
        let networked = Self.runtime(Self.hardware, kvm: Self.boots)
        let nics = try #require(throws: RuntimeError.self) {
            try networked.backendChoice(for: VMSpec(name: "a", backend: .kvm, networks: (0..<5).map { _ in NICSpec(network: "lan") },
                                                    disks: (0..<12).map { DiskSpec(volume: "v\($0)") }))
        }
        #expect("\(nics)".contains("the kvm backend attaches at most 16 disks and NICs together, not 17"), "\(nics)")
        let oneNIC = try networked.backendChoice(for: VMSpec(name: "a", backend: .kvm, networks: [NICSpec(network: "lan")]))
        #expect(oneNIC.0 == .kvm)
        let qemu = try Self.runtime(Self.nested, kvm: nil).backendChoice(for: VMSpec(name: "a", backend: .qemu))
        #expect(qemu.0 == .qemu && qemu.1 == "backend: qemu in the manifest")
    }

    // MARK: Asking vmctl-vmm

    @Test("--capabilities answers: boots, cannot boot (with its reason), another spec version")
    func capabilities() {
        #expect(KVMBackend.support(from: VMMCapabilities(version: "1.0", boot: true)) == KVMBootSupport(canBoot: true, reason: "vmctl-vmm 1.0 boots guests"))
        #expect(KVMBackend.support(from: VMMCapabilities(version: "0.1.0", boot: false, reason: "no core"))
            == KVMBootSupport(canBoot: false, reason: "vmctl-vmm 0.1.0 cannot boot guests yet: no core"))
        let newer = KVMBackend.support(from: VMMCapabilities(version: "2.0", boot: true, launchSpecVersion: 2))
        #expect(!newer.canBoot && newer.reason.hasPrefix("vmctl-vmm 2.0 reads launch spec 2 and speaks control protocol 1"))
    }

    @Test("the probe runs the binary: a JSON answer, a binary without --capabilities, garbage")
    func probe() throws {
        let folder = try GuestTestSupport.temporaryFolder("kvmprobe")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func script(_ name: String, _ body: String) throws -> String {
            let path = folder + "/" + name
            try KVMTestHost.installExecutable("#!/bin/sh\n" + body + "\n", at: path)
            return path
        }
        let good = try script("good", #"[ "$1" = --capabilities ] && echo '{"boot":true,"version":"9.0","launchSpecVersion":1,"controlProtocolVersion":1,"extra":1}'"#)
        #expect(KVMBackend.probe(good) == KVMBootSupport(canBoot: true, reason: "vmctl-vmm 9.0 boots guests"))
        let old = try script("old", "echo 'vmctl-vmm: unknown option --capabilities' >&2; exit 1")
        #expect(KVMBackend.probe(old) == KVMBootSupport(canBoot: false, reason: "\(old) --capabilities failed (status 1): it cannot tell whether it boots guests"))
        let garbage = try script("garbage", "echo hello")
        let answer = KVMBackend.probe(garbage)
        #expect(!answer.canBoot && answer.reason.hasPrefix("control protocol: vmctl-vmm --capabilities:"), "\(answer.reason)")
        #expect(!KVMBackend.probe(folder + "/missing").canBoot)
    }

    @Test("the real vmctl-vmm answers --capabilities", .enabled(if: KVMTestHost.builtVMM != nil, "vmctl-vmm is not built beside the tests"))
    func realProbe() throws {
        guard let vmm = KVMTestHost.builtVMM else { Issue.record("vmctl-vmm is not built"); return }
        let answer = KVMBackend.probe(vmm)
        #expect(!answer.canBoot && answer.reason.contains("not verified on hardware KVM yet"), "\(answer.reason)")
        // The switch the kvm end-to-end tests use to run the unverified boot wherever hardware KVM is present.
        let unverified = KVMBackend.probe(vmm, environment: ["VMCTL_VMM_UNVERIFIED_BOOT": "1"])
        #expect(unverified.canBoot && unverified.reason == "vmctl-vmm 0.1.0 boots guests", "\(unverified.reason)")
    }

    // MARK: The launch spec

    @Test("the launch spec from a VMLaunch: size, kernel, initrd, cmdline (as QEMU gets it), disks, NICs, console log and sockets (golden JSON)")
    func launchSpecGolden() throws {
        let launch = VMLaunch(name: "web-1", stack: "shop", spec: VMSpec(name: "web", cpus: 2, memory: .mib(256), backend: .kvm),
                              paths: VMPaths(directory: "/var/lib/vmctl/stacks/shop/vms/web-1"),
                              kernel: "/var/lib/vmctl/guest/vmlinuz", initrd: "/var/lib/vmctl/guest/initrd.img",
                              cmdline: "console=ttyS0 vmctl.hostname=web-1",
                              disks: [.init(path: "/var/lib/vmctl/stacks/shop/volumes/data.img", readOnly: false),
                                      .init(path: "/var/lib/vmctl/stacks/shop/volumes/seed.img", readOnly: true)],
                              nics: [.init(attachment: .switchSocket("/var/lib/vmctl/stacks/shop/networks/lan/switch.sock"),
                                           mac: try #require(MACAddress("52:54:00:aa:00:01"))),
                                     .init(attachment: .tap("vt1234abcd"), mac: try #require(MACAddress("52:54:00:aa:00:02")))])
        let spec = KVMBackend.launchSpec(for: launch)
        #expect(spec.problems().isEmpty)
        let json = String(decoding: try KVMBackend.encode(spec), as: UTF8.self)
        #expect(json == """
            {
              "agentSocket" : "/var/lib/vmctl/stacks/shop/vms/web-1/agent.sock",
              "cmdline" : "console=ttyS0 vmctl.hostname=web-1",
              "consoleLog" : "/var/lib/vmctl/stacks/shop/vms/web-1/console.log",
              "consoleSocket" : "/var/lib/vmctl/stacks/shop/vms/web-1/console.sock",
              "controlSocket" : "/var/lib/vmctl/stacks/shop/vms/web-1/qmp.sock",
              "disks" : [
                {
                  "path" : "/var/lib/vmctl/stacks/shop/volumes/data.img",
                  "readOnly" : false
                },
                {
                  "path" : "/var/lib/vmctl/stacks/shop/volumes/seed.img",
                  "readOnly" : true
                }
              ],
              "initrd" : "/var/lib/vmctl/guest/initrd.img",
              "kernel" : "/var/lib/vmctl/guest/vmlinuz",
              "memoryMiB" : 256,
              "name" : "shop/web-1",
              "nets" : [
                {
                  "mac" : "52:54:00:aa:00:01",
                  "switchSocket" : "/var/lib/vmctl/stacks/shop/networks/lan/switch.sock"
                },
                {
                  "mac" : "52:54:00:aa:00:02",
                  "tap" : "vt1234abcd"
                }
              ],
              "serialInput" : true,
              "vcpus" : 2,
              "version" : 1
            }

            """)
        // What vmctl-vmm reads back is what the runtime meant.
        #expect(try LaunchSpec.load([UInt8](json.utf8)) == spec)
    }

    @Test("a VM with its own kernel gets its cmdline as written, and the sockets")
    func ownKernelCmdline() {
        let spec = VMSpec(name: "k", cpus: 1, memory: .mib(64), backend: .kvm, kernel: KernelSpec(image: "/k", cmdline: "console=ttyS0"))
        let launch = VMLaunch(name: "k", stack: "s", spec: spec, paths: VMPaths(directory: "/tmp/s/k"), kernel: "/k", initrd: nil,
                              cmdline: "console=ttyS0", disks: [])
        let launched = KVMBackend.launchSpec(for: launch)
        #expect(launched.cmdline == "console=ttyS0")
        #expect(launched.consoleSocket == "/tmp/s/k/console.sock" && launched.agentSocket == "/tmp/s/k/agent.sock")
    }

    // MARK: Life cycle against a stand-in VMM

    @Test("start waits for describe; pause, resume, reset; a graceful stop ends with exit 0 and reads stopped",
          .enabled(if: KVMTestHost.python, "needs python3 for the stand-in vmctl-vmm"), .timeLimit(.minutes(1)))
    func lifeCycle() throws {
        let env = try FakeVMM()
        defer { env.cleanup() }
        let runtime = env.runtime()
        try runtime.start("one", spec: env.spec())
        let record = try runtime.requireRecord("one", operation: "test")
        #expect(record.backend == .kvm && record.backendReason == "backend: kvm in the manifest (/dev/kvm backed by kvm_intel)")
        #expect(runtime.inspect(record).state == .running)
        #expect(FileManager.default.fileExists(atPath: env.paths.launchSpec))
        try runtime.pause("one")
        #expect(runtime.inspect(record).state == .paused)
        try runtime.resume("one")
        #expect(runtime.inspect(record).state == .running)
        try runtime.reset("one")
        #expect(runtime.inspect(record).pid == record.pid, "a reset keeps the process")
        #expect(try runtime.stop("one") == .graceful)
        let stopped = runtime.inspect(try runtime.requireRecord("one", operation: "test"))
        #expect(stopped.state == .stopped && stopped.exitStatus == nil, "\(stopped)")
        try runtime.destroy("one")
        #expect(!FileManager.default.fileExists(atPath: env.paths.directory))
    }

    @Test("a guest that ignores shutdown is powered off through the socket (exit 3): forced, stopped",
          .enabled(if: KVMTestHost.python, "needs python3 for the stand-in vmctl-vmm"), .timeLimit(.minutes(1)))
    func forcedStop() throws {
        let env = try FakeVMM()
        defer { env.cleanup() }
        let runtime = env.runtime()
        try runtime.start("one", spec: env.spec(mode: "fake.ignore-shutdown"))
        #expect(try runtime.stop("one", timeout: .milliseconds(300)) == .forced)
        #expect(try String(contentsOfFile: env.paths.exit, encoding: .utf8) == "3\n")
        let status = runtime.inspect(try runtime.requireRecord("one", operation: "test"))
        #expect(status.state == .stopped, "\(status)")
    }

    @Test("exit codes: 2 is a guest crash, 1 a VMM error with vmm.log's message, and both fail the boot clearly",
          .enabled(if: KVMTestHost.python, "needs python3 for the stand-in vmctl-vmm"), .timeLimit(.minutes(1)),
          arguments: [(2, "vmctl-vmm exited with status 2: the guest crashed (triple fault or KVM internal error)"),
                      (1, "vmctl-vmm exited with status 1: the VMM failed (see its log): vmctl-vmm: fake failure")])
    func exitCodes(_ code: Int, _ reason: String) throws {
        let env = try FakeVMM()
        defer { env.cleanup() }
        let runtime = env.runtime()
        let error = try #require(throws: RuntimeError.self) { try runtime.start("one", spec: env.spec(mode: "fake.exit=\(code)")) }
        #expect("\(error)".contains(reason), "\(error)")
        let status = runtime.inspect(try runtime.requireRecord("one", operation: "test"))
        #expect(status.state == .crashed && status.exitStatus == code && status.exitReason == reason, "\(status)")
    }

    @Test("NICs are taken on kvm: create accepts them (the launch spec carries them, see the golden above)")
    func acceptsNICs() throws {
        let folder = try GuestTestSupport.temporaryFolder("kvmnic")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let backend = KVMBackend(binary: "/bin/true", bootSupport: { Self.boots })
        var launch = VMLaunch(name: "n", stack: "s", spec: VMSpec(name: "n"), paths: VMPaths(directory: folder + "/n"),
                              kernel: "/k", cmdline: "", disks: [])
        launch.nics = [.init(attachment: .tap("tap0"), mac: try #require(MACAddress("52:54:00:00:00:01")))]
        #expect(throws: Never.self) { try backend.create(launch) }
        #expect(KVMBackend.launchSpec(for: launch).nets == [LaunchSpec.Net(mac: "52:54:00:00:00:01", tap: "tap0")])
    }

    /// Today's vmctl-vmm cannot boot: forced onto kvm anyway (fake host and boot check), the boot fails at once
    /// with vmctl-vmm's own words. A vmctl-vmm that boots fails too, on the kernel that is not one.
    @Test("the real vmctl-vmm: a boot that cannot happen fails at once with its message, leaving no process",
          .enabled(if: KVMTestHost.builtVMM != nil, "vmctl-vmm is not built beside the tests"), .timeLimit(.minutes(1)))
    func realVMMFailsClearly() throws {
        guard let vmm = KVMTestHost.builtVMM else { Issue.record("vmctl-vmm is not built"); return }
        let env = try FakeVMM(binary: vmm)
        defer { env.cleanup() }
        let runtime = env.runtime()
        let started = ContinuousClock.now
        let error = try #require(throws: RuntimeError.self) { try runtime.start("one", spec: env.spec()) }
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect("\(error)".contains("vmctl-vmm exited with status 1: the VMM failed (see its log): vmctl-vmm: "), "\(error)")
        let deadline = ContinuousClock.now + .seconds(2)
        while !VMProcess.processes(referencing: env.paths).isEmpty, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(VMProcess.processes(referencing: env.paths).isEmpty)
        try runtime.destroy("one")
    }
}

extension KVMBackendTests {
    /// The runtime's whole protocol against the real vmctl-vmm on /dev/kvm (nested is fine: no Linux), with the
    /// VMM tests' `ticker` payload (prints "tick", then dots forever, and ignores the ACPI power button).
    @Test("the real vmctl-vmm on /dev/kvm with a tiny payload: start, pause, resume, reset, a forced stop reads stopped",
          .enabled(if: KVMTestHost.builtVMM != nil && KVMTestHost.devKVM && KVMTestHost.assembler,
                   "needs vmctl-vmm built beside the tests, a usable /dev/kvm, and as/ld (binutils) for the payload"),
          .timeLimit(.minutes(1)))
    func realVMMLifeCycle() throws {
        guard let vmm = KVMTestHost.builtVMM else { Issue.record("vmctl-vmm is not built"); return }
        let env = try FakeVMM(binary: vmm)
        defer { env.cleanup() }
        let payload = try KVMTestHost.assemble("ticker", into: env.folder)
        let runtime = env.runtime()
        let spec = VMSpec(name: "one", cpus: 1, memory: .mib(64), backend: .kvm, kernel: KernelSpec(image: payload, cmdline: ""),
                          readiness: ReadinessSpec(consoleMarker: "tick", timeout: .seconds(20)))
        try runtime.start("one", spec: spec)
        let record = try runtime.requireRecord("one", operation: "test")
        #expect(runtime.inspect(record).state == .running)
        try runtime.pause("one")
        #expect(runtime.inspect(record).state == .paused)
        try runtime.resume("one")
        #expect(runtime.inspect(record).state == .running)
        try runtime.reset("one")   // waits for a second "tick" after the reset
        #expect(runtime.inspect(record).pid == record.pid)
        let outcome = try runtime.stop("one", timeout: .milliseconds(500))
        #expect(outcome == .forced, "the payload ignores the power button: \(outcome)")
        let stopped = runtime.inspect(try runtime.requireRecord("one", operation: "test"))
        #expect(stopped.state == .stopped, "\(stopped)")
        try runtime.destroy("one")
    }
}

enum KVMTestHost {
    static let devKVM = access("/dev/kvm", R_OK | W_OK) == 0
    static let assembler = ["/usr/bin/as", "/usr/bin/ld"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
    static let payloads = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("VMMTests/Payloads").path

    /// Assembles and links one of the VMM tests' payloads (linked at 1 MiB, entered in 64-bit mode).
    static func assemble(_ name: String, into folder: String) throws -> String {
        for (tool, arguments) in [("/usr/bin/as", ["--64", "-I", payloads, "-o", "\(folder)/\(name).o", "\(payloads)/\(name).S"]),
                                  ("/usr/bin/ld", ["-m", "elf_x86_64", "-N", "-e", "start", "-Ttext=0x100000", "-o", "\(folder)/\(name).elf", "\(folder)/\(name).o"])] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = arguments
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        }
        return "\(folder)/\(name).elf"
    }

    /// The vmctl-vmm of this build, beside the test bundle.
    static let builtVMM: String? = {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent("vmctl-vmm").path }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static let python = ["/usr/bin/python3", "/usr/local/bin/python3"].contains { FileManager.default.isExecutableFile(atPath: $0) }

    /// Writes an executable through a child shell, so no descriptor open for writing on it can leak into a
    /// process another test spawns meanwhile (exec would then fail with ETXTBSY, "text file busy").
    static func installExecutable(_ text: String, at path: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", #"cat > "$1.tmp" && chmod 755 "$1.tmp" && mv "$1.tmp" "$1""#, "sh", path]
        let input = Pipe()
        process.standardInput = input
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
    }
}

/// A state folder, a stack runtime forced onto kvm (hardware host and boot check faked), and a stand-in
/// vmctl-vmm: it reads the launch spec, serves the control protocol, writes the marker to the console log, and
/// exits with the documented codes. `fake.*` words in the cmdline change what it does.
struct FakeVMM {
    static let script = #"""
        #!/usr/bin/env python3
        import json, os, socket, sys, threading, time
        spec = json.load(open(sys.argv[1]))
        mode = {w.split("=")[0]: (w.split("=") + [""])[1] for w in spec["cmdline"].split() if w.startswith("fake.")}
        path = spec["controlSocket"]
        if os.path.exists(path): os.unlink(path)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        server.listen(8)
        console = open(spec["consoleLog"], "a")
        def say(text):
            console.write(text + "\n")
            console.flush()
        if "fake.exit" in mode:
            time.sleep(0.1)
            print("vmctl-vmm: fake failure", file=sys.stderr, flush=True)
            os.unlink(path)
            os._exit(int(mode["fake.exit"]))
        say("fake boot")
        say("READY")
        state = {"run": "running"}
        def serve(conn):
            stream = conn.makefile("rwb")
            for line in stream:
                request = json.loads(line)
                command, code, result = request["command"], None, {}
                if command == "describe":
                    result = {"name": spec["name"], "state": state["run"], "vcpus": spec["vcpus"], "memoryMiB": spec["memoryMiB"],
                              "uptimeMilliseconds": 1, "pid": os.getpid(), "exits": 0, "protocolVersion": 1}
                elif command == "pause": state["run"] = "paused"
                elif command == "resume": state["run"] = "running"
                elif command == "reset": say("READY")
                elif command == "shutdown" and "fake.ignore-shutdown" not in mode: code = 0
                elif command == "power-off": code = 3
                stream.write((json.dumps({"id": request["id"], "ok": True, "result": result}) + "\n").encode())
                stream.flush()
                if code is not None:
                    os.unlink(path)
                    os._exit(code)
        while True:
            conn, _ = server.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()
        """#

    let folder: String
    let binary: String
    /// The python stand-in reads its spec by path and opens what it names: it runs unconfined. The real vmctl-vmm
    /// starts through vmctl-launch (beside the tests), as it does for vmctl.
    let confined: Bool
    var paths: VMPaths { StackPaths(stateDirectory: StateDirectory(path: folder), stack: "s").vm("one") }

    init(binary: String? = nil) throws {
        folder = try GuestTestSupport.temporaryFolder("kvm")
        confined = binary != nil
        if let binary { self.binary = binary } else {
            self.binary = folder + "/vmctl-vmm"
            try KVMTestHost.installExecutable(Self.script, at: self.binary)
        }
        try GuestTestSupport.write("not really a kernel\n", to: folder + "/vmlinuz")
    }

    func runtime() -> StackRuntime {
        var backend = KVMBackend(binary: binary, bootSupport: { KVMBackendTests.boots })
        if !confined { backend.launcher = nil }
        return StackRuntime(stateDirectory: StateDirectory(path: folder), stack: "s", backends: [backend],
                            virtualization: KVMBackendTests.hardware)
    }

    func spec(mode: String = "") -> VMSpec {
        VMSpec(name: "one", cpus: 1, memory: .mib(64), backend: .kvm,
               kernel: KernelSpec(image: folder + "/vmlinuz", cmdline: "console=ttyS0 \(mode)"),
               readiness: ReadinessSpec(consoleMarker: "READY", timeout: .seconds(20)))
    }

    func cleanup() {
        VMProcess.endAll(referencing: paths)
        try? FileManager.default.removeItem(atPath: folder)
    }
}
