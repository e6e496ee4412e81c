import Foundation
import VMCtlModel

/// How a VM's VMM runs: confined (vmctl-launch: its own uid, no capabilities, a private mount namespace and /dev, QEMU's
/// sandbox) or as vmctl's own user, with the reason (docs/confinement.md). Decided at each start and kept in `vm.json`.
public struct Confinement: Codable, Sendable, Equatable {
    /// The uid (and gid) the VMM runs as; nil when it is not confined.
    public var uid: UInt32?
    /// Why the VMM is not confined; nil when it is.
    public var unconfinedReason: String?

    public static func confined(uid: UInt32) -> Confinement { Confinement(uid: uid, unconfinedReason: nil) }
    public static func unconfined(_ reason: String) -> Confinement { Confinement(uid: nil, unconfinedReason: reason) }

    /// `VMCTL_CONFINEMENT=off` starts VMMs unconfined (measurements, debugging a VMM that the sandbox kills).
    public static let switchVariable = "VMCTL_CONFINEMENT"

    /// The launcher binary sits beside vmctl (same build or install folder).
    static func launcher() -> String? {
        let own = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let candidate = URL(fileURLWithPath: own).deletingLastPathComponent().appendingPathComponent("vmctl-launch").path
        return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
    }

    static func unprivilegedPortStart() -> Int {
        (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_unprivileged_port_start", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 1024
    }

    /// Confined where it can be; else the first reason it cannot, in words for `vmctl status --wide`.
    static func choose(for launch: VMLaunch, launcher: String?, previous: Confinement?,
                       environment: [String: String] = ProcessInfo.processInfo.environment) -> Confinement {
        if environment[switchVariable] == "off" { return .unconfined("\(switchVariable)=off") }
        guard geteuid() == 0 else { return .unconfined("vmctl does not run as root: there is no other uid to drop to") }
        guard launcher != nil else { return .unconfined("no vmctl-launch beside vmctl") }
        if launch.spec.image != nil, launch.image?.base == nil {
            return .unconfined("the base image of its root disk is not in the image store")
        }
        // QEMU's user network binds the forwarded host ports itself, now without CAP_NET_BIND_SERVICE.
        if let low = launch.spec.ports.map(\.host).filter({ $0 < unprivilegedPortStart() }).min() {
            return .unconfined("it forwards host port \(low), which only root may bind (net.ipv4.ip_unprivileged_port_start)")
        }
        do {
            return .confined(uid: try VMUIDLeases().lease(for: launch.paths.directory, previous: previous?.uid))
        } catch {
            return .unconfined("no uid could be leased: \(error)")
        }
    }
}
