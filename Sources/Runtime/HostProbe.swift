import Foundation
import VMCtlModel

/// Reads the host's real size for the checks against it (plan, apply, validate --host): online CPUs and MemTotal.
public enum HostProbe {
    public static func facts() -> HostFacts {
        let cpus = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        return HostFacts(cpus: cpus, memory: ByteSize(bytes: memTotal() ?? physicalMemory()))
    }

    private static func memTotal() -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            let fields = line.split(separator: " ")
            if fields.count >= 2, let kib = UInt64(fields[1]) { return kib * 1024 }
        }
        return nil
    }

    private static func physicalMemory() -> UInt64 { ProcessInfo.processInfo.physicalMemory }
}
