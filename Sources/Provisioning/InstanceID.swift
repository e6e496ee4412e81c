import Crypto
import Foundation

/// The instance-id is a digest of the seed: a VM whose seed did not change keeps its id across boots (cloud-init
/// runs only its per-boot modules), and any change to user-data, network-config or the hostname gives a new id,
/// so cloud-init provisions the instance again (a changed seed under the same id would be ignored).
public enum InstanceID {
    public static let prefix = "vmctl-"

    /// `vmctl-` and the first 16 hex digits of SHA-256 over the hostname, user-data and network-config, each
    /// preceded by its name and length so no two different seeds hash the same text.
    public static func derive(hostname: String, userData: String, networkConfig: String) -> String {
        var text = ""
        for (name, value) in [("hostname", hostname), ("user-data", userData), ("network-config", networkConfig)] {
            text += "\(name) \(value.utf8.count)\n\(value)\n"
        }
        let digest = SHA256.hash(data: Data(text.utf8))
        return prefix + digest.prefix(8).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
