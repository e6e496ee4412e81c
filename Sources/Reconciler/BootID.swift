import Foundation

/// Which boot of the host this is: a reboot changes `/proc/sys/kernel/random/boot_id`, and with it every VMM is gone.
/// `VMCTL_BOOT_ID_FILE` names another file to read instead: the tests' seam for a reboot they cannot make.
public struct BootID: Sendable {
    public let path: String

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        path = environment["VMCTL_BOOT_ID_FILE"] ?? "/proc/sys/kernel/random/boot_id"
    }

    public func read() -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return id.isEmpty ? nil : id
    }
}
