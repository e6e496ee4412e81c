import Foundation
import Runtime

extension HostTools {
    /// The Debian cloud kernel the tests boot or parse: `VMCTL_TEST_KERNEL` when set, else the newest
    /// `/boot/vmlinuz-*-cloud-amd64`, found as the default guest finds its kernel (`GuestHost.newestKernelVersion`),
    /// so a new kernel from the archive (6.1.0-56 → 6.1.0-57) changes nothing here. Nil when there is none.
    public static let debianCloudKernel: String? = debianCloudKernel()

    /// `debianCloudKernel` for a given environment and boot folder (tests point these at fakes).
    public static func debianCloudKernel(environment: [String: String] = ProcessInfo.processInfo.environment,
                                         host: GuestHost = .system) -> String? {
        if let path = environment["VMCTL_TEST_KERNEL"], !path.isEmpty { return path }
        return host.newestKernelVersion(cloudOnly: true).map { host.kernelPath(version: $0) }
    }

    /// Why `debianCloudKernel` cannot be read, or nil when it can: for skip comments.
    public static var debianCloudKernelMissing: String? {
        guard let path = debianCloudKernel else {
            return "no /boot/vmlinuz-*-cloud-amd64 (apt-get install linux-image-cloud-amd64; scripts/setup does; or set VMCTL_TEST_KERNEL)"
        }
        guard FileManager.default.isReadableFile(atPath: path) else { return "\(path) is not readable" }
        return nil
    }
}
