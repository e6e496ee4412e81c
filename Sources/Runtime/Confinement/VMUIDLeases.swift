import Foundation

/// One uid per running confined VM, from 0x70000000 up (65536 of them): above systemd-nspawn's container range (up to
/// 0x6FFFFFFF), below the 2^31 that tools with signed ids choke on, and in no /etc/passwd. A uid of its own keeps a
/// VMM from signalling, tracing or reading /proc of another VM's VMM, and RLIMIT_NPROC counts its threads alone.
/// Nothing on disk is owned by these uids (the VMM gets descriptors), so a uid matters only while its VMM runs.
///
/// Leases are host-wide, whatever the state folder: `/run/vmctl/uids/<uid>` names the VM's folder, written under an
/// flock. A lease is free again once no process runs as its uid and it is older than a minute (the time a
/// start takes to get from the lease to a running VMM).
struct VMUIDLeases {
    static let first: UInt32 = 0x7000_0000
    static let count: UInt32 = 65536
    var folder = "/run/vmctl/uids"
    var grace: TimeInterval = 60

    struct Exhausted: Error, CustomStringConvertible {
        var description: String { "all \(VMUIDLeases.count) uids from \(VMUIDLeases.first) are in use" }
    }

    func lease(for vm: String, previous: UInt32?) throws -> UInt32 {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let lock = open(folder + "/lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(lock) }
        flock(lock, LOCK_EX)
        // The VM keeps its uid across restarts while its lease still names it.
        if let previous, holder(previous) == vm {
            try take(previous, for: vm)
            return previous
        }
        let busy = Self.uidsInUse()
        for uid in Self.first..<(Self.first + Self.count) where !busy.contains(uid) {
            let path = "\(folder)/\(uid)"
            if let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
               Date().timeIntervalSince(modified) < grace { continue }
            try take(uid, for: vm)
            return uid
        }
        throw Exhausted()
    }

    private func holder(_ uid: UInt32) -> String? { try? String(contentsOfFile: "\(folder)/\(uid)", encoding: .utf8) }

    private func take(_ uid: UInt32, for vm: String) throws {
        try Data(vm.utf8).write(to: URL(fileURLWithPath: "\(folder)/\(uid)"), options: .atomic)
    }

    /// The real uids of every process on the host (/proc/PID/status, `Uid:` real effective saved fs).
    static func uidsInUse() -> Set<UInt32> {
        var uids: Set<UInt32> = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int32(entry) != nil {
            guard let status = try? String(contentsOfFile: "/proc/\(entry)/status", encoding: .utf8),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }) else { continue }
            for field in line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst() { if let uid = UInt32(field) { uids.insert(uid) } }
        }
        return uids
    }
}
