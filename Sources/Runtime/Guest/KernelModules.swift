import Foundation

/// A kernel's modules as `modules.dep` and `modules.builtin` describe them, and the load order for a set
/// of wanted modules: every module after the modules it depends on, as modprobe would load them.
struct KernelModules {
    let folder: String
    /// Module path relative to `folder` → the relative paths of the modules it needs.
    private(set) var dependencies: [String: [String]] = [:]
    /// Normalized module name (`virtio_pci`) → its relative path.
    private(set) var paths: [String: String] = [:]
    /// Normalized names of modules compiled into the kernel image.
    private(set) var builtIn: Set<String> = []

    init(folder: String) throws {
        self.folder = folder
        let depFile = folder + "/modules.dep"
        let text: String
        do { text = try String(contentsOfFile: depFile, encoding: .utf8) } catch {
            throw GuestError.unreadable(path: depFile, reason: "\(error.localizedDescription)")
        }
        for line in text.split(separator: "\n") {
            // "kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko"
            guard let colon = line.firstIndex(of: ":") else { continue }
            let module = String(line[..<colon])
            dependencies[module] = line[line.index(after: colon)...].split(separator: " ").map(String.init)
            paths[Self.name(of: module)] = module
        }
        // Absent on some kernels; then nothing counts as built in and every wanted module must be a file.
        if let builtins = try? String(contentsOfFile: folder + "/modules.builtin", encoding: .utf8) {
            builtIn = Set(builtins.split(separator: "\n").map { Self.name(of: String($0)) })
        }
    }

    /// `kernel/drivers/net/virtio_net.ko.xz` → `virtio_net`; dashes and underscores are the same to the kernel.
    static func name(of path: String) -> String {
        var base = Substring(path.split(separator: "/").last ?? Substring(path))
        if let range = base.range(of: ".ko") { base = base[..<range.lowerBound] }
        return base.replacingOccurrences(of: "-", with: "_")
    }

    struct LoadPlan: Equatable {
        /// Relative module paths, each after its dependencies.
        var order: [String]
        /// Wanted modules that the kernel has built in (nothing to load).
        var builtIn: [String]
        /// Optional modules the kernel has neither as a file nor built in.
        var unavailable: [String]
    }

    /// Resolves `required` (missing ones are an error) and `optional` (missing ones are reported) with their dependencies.
    func loadPlan(required: [String], optional: [String]) throws -> LoadPlan {
        var plan = LoadPlan(order: [], builtIn: [], unavailable: [])
        var placed: Set<String> = []
        func visit(_ module: String) {
            guard placed.insert(module).inserted else { return }
            for dependency in dependencies[module] ?? [] { visit(dependency) }
            plan.order.append(module)
        }
        for (wanted, isRequired) in required.map({ ($0, true) }) + optional.map({ ($0, false) }) {
            let key = Self.name(of: wanted)
            if let path = paths[key] {
                visit(path)
            } else if builtIn.contains(key) {
                plan.builtIn.append(wanted)
            } else if isRequired {
                throw GuestError.missingModule(name: wanted, kernelVersion: (folder as NSString).lastPathComponent, folder: folder)
            } else {
                plan.unavailable.append(wanted)
            }
        }
        if let compressed = plan.order.first(where: { !$0.hasSuffix(".ko") }) {
            throw GuestError.compressedModule(path: folder + "/" + compressed)
        }
        return plan
    }
}
