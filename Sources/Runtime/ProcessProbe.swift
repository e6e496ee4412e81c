import Foundation

/// Facts about host processes from /proc, so a reused pid is never mistaken for one of our VMs.
enum ProcessProbe {
    /// Field 22 of /proc/PID/stat: start time in clock ticks since boot. Unique together with the pid.
    static func startTime(of pid: Int32) -> UInt64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may contain spaces) start at field 3.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    /// The process's argv joined by spaces, or nil when it is gone.
    static func commandLine(of pid: Int32) -> String? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else { return nil }
        return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
    }

    static func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
    }

    /// Resident set size in bytes (VmRSS).
    static func residentBytes(of pid: Int32) -> UInt64? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let parts = line.split(separator: " ")
            if parts.count >= 2, let kib = UInt64(parts[1]) { return kib * 1024 }
        }
        return nil
    }

    /// The process's real uid, and whether it is sandboxed: not root, no effective capability, no_new_privs and a
    /// seccomp filter (QEMU's -sandbox, or vmctl-vmm's own). From /proc/PID/status of its main thread.
    static func sandbox(of pid: Int32) -> (uid: UInt32, sandboxed: Bool)? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        var fields: [Substring: [Substring]] = [:]
        for line in status.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon]] = line[line.index(after: colon)...].split(whereSeparator: { $0 == "\t" || $0 == " " })
        }
        guard let uid = fields["Uid"]?.first.flatMap({ UInt32($0) }) else { return nil }
        let sandboxed = uid != 0 && fields["CapEff"]?.first.flatMap({ UInt64($0, radix: 16) }) == 0
            && fields["NoNewPrivs"]?.first == "1" && fields["Seccomp"]?.first == "2"
        return (uid, sandboxed)
    }

    /// User plus system CPU time (fields 14 and 15 of /proc/PID/stat), in seconds.
    static func cpuSeconds(of pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return nil }
        return Double(user + system) / Double(clockTicksPerSecond)
    }

    static var clockTicksPerSecond: UInt64 { UInt64(max(1, sysconf(Int32(_SC_CLK_TCK)))) }

    /// When the process started, in seconds since 1970: the boot time (`btime` in /proc/stat) plus its start time.
    static func startedAt(_ pid: Int32) -> Double? {
        guard let ticks = startTime(of: pid), let boot = bootTime else { return nil }
        return boot + Double(ticks) / Double(clockTicksPerSecond)
    }

    /// `btime` of /proc/stat, read once: it is fixed for the life of a boot (and a process does not outlive one), while
    /// reading /proc/stat makes the kernel format every CPU's and interrupt's counters (a supervisor polling many VMs
    /// spent a quarter of its time there).
    static let bootTime: Double? = {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }) else { return nil }
        return Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces))
    }()

    /// Seconds since boot, from /proc/uptime.
    static func uptime() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/uptime", encoding: .utf8) else { return nil }
        return text.split(separator: " ").first.flatMap { Double($0) }
    }
}
