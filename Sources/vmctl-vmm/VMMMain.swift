import Glibc
import VMM
import VMMControl

/// The whole life of one `vmctl-vmm` process: parse, load and validate the spec, serve the control
/// socket, run the VM, and map the end to a documented exit code. Messages go to stderr (the VM's vmm.log).
enum VMMMain {
    static let version = "0.1.0"
    /// Whether this build boots Linux guests (`vmctl-vmm --capabilities`). The runtime's kvm backend is chosen only
    /// when `boot` is true: set it (and drop `reason`) once the default guest boots to its readiness marker on
    /// hardware KVM. Until then `VMCTL_VMM_UNVERIFIED_BOOT=1` says yes, so the kvm end-to-end tests (which set it)
    /// run by themselves wherever hardware KVM is present, without offering the backend to everyone.
    static var capabilities: VMMCapabilities {
        if let flag = getenv("VMCTL_VMM_UNVERIFIED_BOOT"), String(cString: flag) == "1" {
            return VMMCapabilities(version: version, boot: true, reason: nil, seccomp: Seccomp.enabled)
        }
        return VMMCapabilities(version: version, boot: false,
                               reason: "booting Linux guests is not verified on hardware KVM yet; VMCTL_VMM_UNVERIFIED_BOOT=1 enables it",
                               seccomp: Seccomp.enabled)
    }

    static func run(_ arguments: [String]) -> VMMExitCode {
        let started = MonotonicInstant.now
        switch Invocation.parse(arguments) {
        case .failure(let error):
            report("\(error.message)\n\(Invocation.usage)")
            return .vmmError
        case .success(.version):
            print("vmctl-vmm \(version) (launch spec \(LaunchSpec.currentVersion), control protocol \(ControlProtocol.version))")
            return .guestPowerOff
        case .success(.help):
            print(Invocation.usage)
            return .guestPowerOff
        case .success(.capabilities):
            do { print(String(decoding: try ControlCodec.line(capabilities).dropLast(), as: UTF8.self)) } catch {
                report("\(error)")
                return .vmmError
            }
            return .guestPowerOff
        case .success(.check(let source, let descriptor)):
            guard let spec = validatedSpec(source, descriptor: descriptor) else { return .vmmError }
            print("launch spec for VM \(spec.name) is valid")
            return .guestPowerOff
        case .success(.run(let source, let descriptor)):
            guard let spec = validatedSpec(source, descriptor: descriptor) else { return .vmmError }
            return serve(spec, started: started)
        }
    }

    private static func validatedSpec(_ source: String, descriptor: Int32?) -> LaunchSpec? {
        let spec: LaunchSpec
        do { spec = try SpecReader.load(source, descriptor: descriptor) } catch {
            report("\(error)")
            return nil
        }
        let problems = SpecReader.fileProblems(spec)
        guard problems.isEmpty else {
            report("\(VMMControlError.specInvalid(problems))")
            return nil
        }
        return spec
    }

    /// Builds the machine (a failure exits 1 before the control socket exists), serves the control socket,
    /// runs the vCPUs until the machine ends, and returns its exit code (docs/control-protocol.md).
    private static func serve(_ spec: LaunchSpec, started: MonotonicInstant) -> VMMExitCode {
        let machine: Machine
        do { machine = try MachineBuilder.build(spec, started: started) } catch {
            report("boot VM \(spec.name): \(error)")
            return .vmmError
        }
        let server: ControlServer
        do { server = try ControlServer(path: spec.controlSocket, descriptor: spec.descriptors?.controlSocket, handler: machine.controlHandler) } catch {
            report("serve the control socket: \(error)")
            return .vmmError
        }
        // Everything the VM needs is open now; from here a call outside the allow-list kills the process.
        do { try Seccomp.confine() } catch {
            server.stop()
            report("install the seccomp filter: \(error)")
            return .vmmError
        }
        let end = machine.run()
        server.stop()
        report("VM \(spec.name) ended: \(end.code.summary)" + (end.message.map { ": " + $0 } ?? ""))
        return end.code
    }

    private static func report(_ message: String) {
        let bytes = Array("vmctl-vmm: \(message)\n".utf8)
        // One write(2) per message, so lines from several threads never interleave mid-line.
        _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
