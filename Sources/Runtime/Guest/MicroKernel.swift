import Crypto
import Foundation

/// vmctl's micro guest kernel: Debian's `linux-source-6.1` built with `MicroKernelConfig.fragment` (no modules; only
/// what the default guest uses), as Firecracker builds a minimal guest kernel. Built by `vmctl guest build --kernel
/// micro`, cached host-wide (every state folder shares it) under `<cache>/micro-<key16>/`: `bzImage`, `config` (the
/// full .config) and `build.json`. The key hashes the fragment, this builder's version and the source tarball's size
/// and modification time, so a new `linux-source-6.1` package or an edited fragment builds a new kernel.
public struct MicroKernel: Sendable {
    public static let sourceTarball = "/usr/src/linux-source-6.1.tar.xz"
    public static let defaultCache = "/var/cache/vmctl/kernels"
    /// Part of the key: a change to how the kernel is built that keeps the same inputs still rebuilds.
    static let builderVersion = "vmctl-micro-kernel-1"

    public var cacheDirectory: String
    public var tarball: String

    public init(cacheDirectory: String = ProcessInfo.processInfo.environment["VMCTL_KERNEL_CACHE"] ?? MicroKernel.defaultCache,
                tarball: String = MicroKernel.sourceTarball) {
        self.cacheDirectory = cacheDirectory
        self.tarball = tarball
    }

    /// A built kernel, as `build.json` describes it.
    public struct Built: Codable, Equatable, Sendable {
        /// The kernel's release string (`make kernelrelease`), e.g. `6.1.158-vmctl-micro`.
        public var release: String
        public var key: String
        /// Seconds the build took (extract, configure, compile), and the bzImage's size.
        public var buildSeconds: Double
        public var bytes: Int
        public var builtAt: Date
        /// Where the bzImage is now (not stored: taken from the folder the entry is in).
        public var path: String = ""

        enum CodingKeys: String, CodingKey { case release, key, buildSeconds, bytes, builtAt }
    }

    /// The key of the kernel this fragment and the installed source would make; nil when the source is not installed.
    public func key() -> String? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: tarball),
              let size = attributes[.size] as? Int, let modified = attributes[.modificationDate] as? Date else { return nil }
        var hasher = SHA256()
        hasher.update(data: Data("\(Self.builderVersion)\n\(size)\n\(Int(modified.timeIntervalSince1970))\n".utf8))
        hasher.update(data: Data(MicroKernelConfig.fragment.utf8))
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    func folder(key: String) -> String { "\(cacheDirectory)/micro-\(key.prefix(16))" }

    /// The cached kernel for the current fragment and source, if it was built; nil otherwise.
    public func built() -> Built? {
        guard let key = key() else { return nil }
        let folder = folder(key: key)
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: folder + "/build.json")),
              var built = try? Self.decoder.decode(Built.self, from: data), built.key == key else { return nil }
        built.path = folder + "/bzImage"
        let size = (try? FileManager.default.attributesOfItem(atPath: built.path)[.size] as? Int) ?? nil
        return size == built.bytes ? built : nil
    }

    public enum BuildError: Error, CustomStringConvertible {
        case noSource(String)
        case missingTool(String)
        case step(String, status: Int32, log: String)
        case configMismatch([String])
        case cannotWrite(String, String)

        public var description: String {
            switch self {
            case .noSource(let path):
                return "no kernel source at \(path); install it with 'apt-get install linux-source-6.1'"
            case .missingTool(let tool):
                return "building the micro kernel needs \(tool); install the tools with 'apt-get install build-essential bc bison flex libelf-dev xz-utils'"
            case .step(let step, let status, let log):
                return "building the micro kernel failed at \(step) (exit \(status)); the end of its output:\n\(log)"
            case .configMismatch(let options):
                return "the kernel's configuration does not take these options of the micro kernel's fragment (a changed Kconfig?): \(options.joined(separator: ", "))"
            case .cannotWrite(let path, let reason):
                return "cannot write the micro kernel to \(path): \(reason)"
            }
        }
    }

    /// Builds the kernel unless it is cached: extracts the source into a private folder beside the cache entry,
    /// configures it (`allnoconfig` with the fragment as its base, then checks every option took), compiles the
    /// bzImage with `jobs` jobs, and renames the entry into place. `progress` gets one line per step.
    public func build(jobs: Int = ProcessInfo.processInfo.activeProcessorCount,
                      progress: (String) -> Void = { _ in }) throws -> (built: Built, reused: Bool) {
        if let built = built() { return (built, true) }
        guard let key = key() else { throw BuildError.noSource(tarball) }
        for tool in ["tar", "make", "gcc", "bison", "flex", "bc"] where Self.which(tool) == nil { throw BuildError.missingTool(tool) }
        let started = Date()
        let folder = folder(key: key)
        let work = "\(cacheDirectory)/.micro-\(key.prefix(16)).work-\(getpid())"
        let files = FileManager.default
        do {
            try files.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
            try? files.removeItem(atPath: work)
            try files.createDirectory(atPath: work, withIntermediateDirectories: false)
        } catch { throw BuildError.cannotWrite(cacheDirectory, (error as NSError).localizedDescription) }
        defer { try? files.removeItem(atPath: work) }

        progress("extracting \(tarball)")
        try Self.run("extract the source", "tar", ["-xJf", tarball, "-C", work, "--strip-components=1"], in: work)
        let fragment = work + "/vmctl-micro.config"
        try Data(MicroKernelConfig.allconfig.utf8).write(to: URL(fileURLWithPath: fragment))
        progress("configuring (allnoconfig + the micro fragment)")
        try Self.run("configure", "make", ["-s", "allnoconfig", "KCONFIG_ALLCONFIG=\(fragment)"], in: work)
        let config = (try? String(contentsOfFile: work + "/.config", encoding: .utf8)) ?? ""
        let missing = MicroKernelConfig.unmet(by: config)
        guard missing.isEmpty else { throw BuildError.configMismatch(missing) }
        progress("compiling the bzImage with \(jobs) jobs")
        try Self.run("compile", "make", ["-s", "-j\(max(1, jobs))", "bzImage"], in: work)
        let release = try Self.run("read the release", "make", ["-s", "kernelrelease"], in: work).trimmingCharacters(in: .whitespacesAndNewlines)

        let staging = work + "/entry"
        do {
            try files.createDirectory(atPath: staging, withIntermediateDirectories: false)
            try files.copyItem(atPath: work + "/arch/x86/boot/bzImage", toPath: staging + "/bzImage")
            try files.copyItem(atPath: work + "/.config", toPath: staging + "/config")
            let bytes = (try files.attributesOfItem(atPath: staging + "/bzImage")[.size] as? Int) ?? 0
            var built = Built(release: release, key: key, buildSeconds: (Date().timeIntervalSince(started) * 10).rounded() / 10,
                              bytes: bytes, builtAt: Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down)))
            try Self.encoder.encode(built).write(to: URL(fileURLWithPath: staging + "/build.json"))
            try? files.removeItem(atPath: folder)   // a damaged entry (its build.json did not match) is replaced
            guard rename(staging, folder) == 0 else { throw BuildError.cannotWrite(folder, String(cString: strerror(errno))) }
            built.path = folder + "/bzImage"
            return (built, false)
        } catch let error as BuildError { throw error } catch {
            throw BuildError.cannotWrite(folder, (error as NSError).localizedDescription)
        }
    }

    /// Runs a build step; its output is kept and, when it fails, its last lines are the error.
    @discardableResult
    static func run(_ step: String, _ tool: String, _ arguments: [String], in folder: String) throws -> String {
        guard let path = which(tool) else { throw BuildError.missingTool(tool) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { throw BuildError.step(step, status: -1, log: "\(error)") }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw BuildError.step(step, status: process.terminationStatus, log: text.split(separator: "\n").suffix(20).joined(separator: "\n"))
        }
        return text
    }

    static func which(_ tool: String) -> String? {
        ["/usr/bin/", "/bin/", "/usr/local/bin/"].map { $0 + tool }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    // The default guest's coders (sorted, ISO-8601 dates): build.json reads like guest.json.
    static var encoder: JSONEncoder { GuestBuilder.encoder }
    static var decoder: JSONDecoder { GuestBuilder.decoder }
}
