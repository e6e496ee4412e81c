import Crypto
import Foundation
import Runtime

/// Which stack a source feeds, remembered under the state folder (`reconcile/sources/<digest>.json`): a reconciler
/// restarted while its source is unreachable or its newest revision is broken still knows its stack, so it keeps the
/// last good revision running, supervises its VMs and recovers them after a reboot.
struct SourceMemory {
    let file: String

    init(stateDirectory: StateDirectory, source: any StackSource) {
        let digest = SHA256.hash(data: Data(source.key.utf8)).prefix(12).hex
        file = stateDirectory.path + "/reconcile/sources/\(digest).json"
    }

    struct Entry: Codable { var stack: String; var source: String }

    func stack() -> String? {
        guard let data = FileManager.default.contents(atPath: file),
              let entry = try? JSONDecoder().decode(Entry.self, from: data) else { return nil }
        return entry.stack
    }

    func remember(_ stack: String, source: String) {
        guard let data = try? JSONEncoder().encode(Entry(stack: stack, source: source)) else { return }
        try? AtomicFile.makeDirectory((file as NSString).deletingLastPathComponent)
        try? AtomicFile.write(data, to: file)
    }
}
