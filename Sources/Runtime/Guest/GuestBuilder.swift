import Crypto
import Foundation

/// Builds the default guest's initramfs from what the host has, and caches it by content under
/// `<cacheDirectory>/<hash>/` (`initrd.img` and `guest.json`); callers pass `<state-dir>/guest`.
public enum GuestBuilder {
    /// Modules the guest cannot work without; their dependencies (virtio_pci_modern_dev, failover, ...)
    /// come from modules.dep.
    static let requiredModules = ["virtio", "virtio_ring", "virtio_pci", "virtio_mmio", "virtio_blk", "virtio_net", "virtio_console"]
    /// The ACPI power button and the event interface acpid reads it through; without them a stop is
    /// forced instead of graceful. ext4 is usually built in; listing it covers kernels where it is a module.
    static let optionalModules = ["button", "evdev", "ext4"]
    /// Part of the hash, so a change to the layout or scripts that keeps the same inputs still rebuilds.
    static let formatVersion = "vmctl-default-guest-1"

    public struct Build: Sendable {
        public var guest: DefaultGuest
        /// True when an identical guest was already in the cache and nothing was written.
        public var reused: Bool
    }

    /// Builds the guest, or returns the cached one when the kernel and the initramfs contents are unchanged.
    public static func build(cacheDirectory: String, host: GuestHost = .system, now: Date = Date()) throws -> Build {
        let recipe = try Recipe.gather(host: host)
        if let cached = cached(in: cacheDirectory, hash: recipe.hash) { return Build(guest: cached, reused: true) }
        let guest = try write(recipe, to: cacheDirectory, now: now)
        return Build(guest: guest, reused: false)
    }

    /// The guest `build` would return, if it is already in the cache; nil when it still has to be built.
    public static func info(cacheDirectory: String, host: GuestHost = .system) throws -> DefaultGuest? {
        cached(in: cacheDirectory, hash: try Recipe.gather(host: host).hash)
    }

    /// Everything the guest is made of, read from the host, with its hash.
    struct Recipe {
        var kernel: GuestHost.Kernel
        var kind: DefaultGuest.KernelKind
        var busyboxPath: String
        var plan: KernelModules.LoadPlan
        var initrd: Data
        var hash: String

        static func gather(host: GuestHost) throws -> Recipe {
            let kernel: GuestHost.Kernel
            let kind: DefaultGuest.KernelKind
            let plan: KernelModules.LoadPlan
            if let micro = host.microKernel?.built() {
                // Everything the guest needs is built in: no modules in the initramfs.
                (kernel, kind) = (GuestHost.Kernel(path: micro.path, version: micro.release, moduleFolder: ""), .micro)
                plan = KernelModules.LoadPlan(order: [], builtIn: requiredModules + optionalModules, unavailable: [])
            } else {
                (kernel, kind) = (try host.findKernel(), .distribution)
                plan = try KernelModules(folder: kernel.moduleFolder).loadPlan(required: requiredModules, optional: optionalModules)
            }
            let busybox = try readBusybox(host.busybox)
            let applets = try listApplets(host.busybox)
            let modules = try plan.order.map { (path: $0, contents: try read(kernel.moduleFolder + "/" + $0)) }
            let initrd = InitramfsImage(busybox: busybox, applets: applets, kernelVersion: kernel.version, modules: modules).archive()
            var hasher = Crypto.SHA256()
            hasher.update(data: Data((formatVersion + "\n" + kernel.version + "\n").utf8))
            hasher.update(data: try read(kernel.path))
            hasher.update(data: initrd)
            let hash = hasher.finalize().map { String(format: "%02x", $0) }.joined()
            return Recipe(kernel: kernel, kind: kind, busyboxPath: host.busybox, plan: plan, initrd: initrd, hash: hash)
        }
    }

    static func read(_ path: String) throws -> Data {
        do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw GuestError.unreadable(path: path, reason: (error as NSError).localizedDescription)
        }
    }

    static func readBusybox(_ path: String) throws -> Data {
        guard FileManager.default.fileExists(atPath: path) else { throw GuestError.noBusybox(path: path) }
        let data = try read(path)
        switch ELFCheck.inspect(data) {
        case .staticExecutable: return data
        case .dynamic(let interpreter): throw GuestError.dynamicBusybox(path: path, interpreter: interpreter)
        case .notELF64: throw GuestError.notAnExecutable(path: path)
        }
    }

    /// Asks busybox for its applets (it is static, so running it on the host is the same program as in the guest).
    static func listApplets(_ path: String) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--list"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            throw GuestError.unreadable(path: path, reason: "cannot run it to list its applets: \(error.localizedDescription)")
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let applets = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
            .filter { !$0.isEmpty && !$0.contains("/") }
        let missing = GuestInit.requiredApplets.filter { !applets.contains($0) }
        guard process.terminationStatus == 0, missing.isEmpty else {
            throw GuestError.missingApplets(path: path, applets: missing.isEmpty ? GuestInit.requiredApplets : missing)
        }
        return applets.sorted()
    }

    /// A cache entry counts only when its description decodes and its initramfs has the recorded size;
    /// paths are taken from where the entry is now, so a moved state folder still works.
    static func cached(in cacheDirectory: String, hash: String) -> DefaultGuest? {
        let folder = "\(cacheDirectory)/\(hash)"
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: folder + "/guest.json")),
              var guest = try? decoder.decode(DefaultGuest.self, from: data), guest.hash == hash else { return nil }
        guest.initrd = folder + "/initrd.img"
        let size = (try? FileManager.default.attributesOfItem(atPath: guest.initrd)[.size] as? Int) ?? nil
        return size == guest.size ? guest : nil
    }

    /// Writes into a private folder and renames it into place, so a reader never sees half a guest and two
    /// concurrent builds of the same guest both end with one whole entry.
    static func write(_ recipe: Recipe, to cacheDirectory: String, now: Date) throws -> DefaultGuest {
        let folder = "\(cacheDirectory)/\(recipe.hash)"
        let staging = "\(cacheDirectory)/.\(recipe.hash).tmp-\(getpid())"
        let files = FileManager.default
        var guest = DefaultGuest(
            kernel: recipe.kernel.path, kernelVersion: recipe.kernel.version, kernelKind: recipe.kind, initrd: folder + "/initrd.img",
            hash: recipe.hash, size: recipe.initrd.count, readinessMarker: GuestInit.readinessMarker,
            baseCmdline: DefaultGuest.defaultBaseCmdline, modules: recipe.plan.order,
            unavailableModules: recipe.plan.unavailable, busybox: recipe.busyboxPath,
            builtAt: Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down)))
        do {
            try files.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try? files.removeItem(atPath: staging)
            try files.createDirectory(atPath: staging, withIntermediateDirectories: false)
            try recipe.initrd.write(to: URL(fileURLWithPath: staging + "/initrd.img"))
            try encoder.encode(guest).write(to: URL(fileURLWithPath: staging + "/guest.json"))
        } catch {
            try? files.removeItem(atPath: staging)
            throw GuestError.cannotWrite(path: cacheDirectory, reason: (error as NSError).localizedDescription)
        }
        if rename(staging, folder) != 0 {
            // Another build finished the same guest first: use its entry.
            if let existing = cached(in: cacheDirectory, hash: recipe.hash) {
                try? files.removeItem(atPath: staging)
                return existing
            }
            // A damaged entry (a crash mid-copy by hand, a truncated file) is replaced, not trusted.
            try? files.removeItem(atPath: folder)
            if rename(staging, folder) != 0 {
                let reason = String(cString: strerror(errno))
                try? files.removeItem(atPath: staging)
                throw GuestError.cannotWrite(path: folder, reason: reason)
            }
        }
        guest.initrd = folder + "/initrd.img"
        return guest
    }

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
