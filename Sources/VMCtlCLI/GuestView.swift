import Foundation
import Runtime

/// How `vmctl guest` shows the default guest.
enum GuestView {
    static func cacheDirectory(_ global: GlobalOptions) -> String {
        StateDirectory.resolve(flag: global.stateDir, env: ProcessInfo.processInfo.environment).path + "/guest"
    }

    static func human(_ guest: DefaultGuest) -> String {
        let mib = String(format: "%.1f", Double(guest.size) / 1_048_576)
        let modules = guest.modules.map { (($0 as NSString).lastPathComponent as NSString).deletingPathExtension }
        var lines = [
            "hash      \(guest.hash)",
            "kernel    \(guest.kernel) (\(guest.kernelVersion), \(Self.kind(guest)))",
            "initrd    \(guest.initrd) (\(mib) MiB)",
            "modules   \(modules.joined(separator: " "))",
            "cmdline   \(guest.baseCmdline)",
            "marker    \(guest.readinessMarker)",
            "built     \(ISO8601DateFormatter().string(from: guest.builtAt))",
        ]
        if !guest.unavailableModules.isEmpty {
            lines.append("missing   \(guest.unavailableModules.joined(separator: " ")) (a stop of these guests is forced, not graceful)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func kind(_ guest: DefaultGuest) -> String {
        guest.kernelKind == .micro ? "vmctl's micro kernel" : "the distribution's kernel"
    }

    /// guest.json's fields, plus `reused` after a build.
    static func json(_ guest: DefaultGuest, reused: Bool?) -> String {
        struct Output: Encodable {
            var guest: DefaultGuest
            var reused: Bool?
            func encode(to encoder: Encoder) throws {
                try guest.encode(to: encoder)
                var container = encoder.container(keyedBy: Key.self)
                try container.encodeIfPresent(reused, forKey: .reused)
            }
            enum Key: String, CodingKey { case reused }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        guard let data = try? encoder.encode(Output(guest: guest, reused: reused)) else { return "{}\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
