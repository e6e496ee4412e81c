import Foundation

/// Where the default guest's pieces live on the host. Tests point these at fake folders.
public struct GuestHost: Sendable {
    public var bootDirectory: String
    /// Searched in order for `<version>/modules.dep`; Debian keeps modules in /usr/lib/modules, older systems in /lib/modules.
    public var moduleDirectories: [String]
    public var busybox: String
    /// vmctl's micro kernel, preferred over the distribution's when it has been built (nil: never).
    public var microKernel: MicroKernel?

    public init(bootDirectory: String = "/boot", moduleDirectories: [String] = ["/lib/modules", "/usr/lib/modules"],
                busybox: String = "/bin/busybox", microKernel: MicroKernel? = nil) {
        self.bootDirectory = bootDirectory
        self.moduleDirectories = moduleDirectories
        self.busybox = busybox
        self.microKernel = microKernel
    }

    /// This host: the micro kernel once `vmctl guest build --kernel micro` built it, unless `VMCTL_GUEST_KERNEL=debian`
    /// asks for the distribution's kernel.
    public static var system: GuestHost {
        GuestHost(microKernel: ProcessInfo.processInfo.environment["VMCTL_GUEST_KERNEL"] == "debian" ? nil : MicroKernel())
    }

    /// A kernel image and the folder holding its modules.
    public struct Kernel: Equatable, Sendable {
        public var path: String
        public var version: String
        public var moduleFolder: String
    }

    /// The newest `vmlinuz-*-cloud-amd64` (the cloud kernel has the virtio drivers and little else, so it boots
    /// fastest), else the newest `vmlinuz-*`.
    public func findKernel() throws -> Kernel {
        guard let version = newestKernelVersion() else { throw GuestError.noKernel(bootDirectory: bootDirectory) }
        let path = kernelPath(version: version)
        guard FileManager.default.isReadableFile(atPath: path) else { throw GuestError.kernelUnreadable(path: path) }
        let searched = moduleDirectories.map { "\($0)/\(version)" }
        guard let folder = searched.first(where: { FileManager.default.fileExists(atPath: "\($0)/modules.dep") }) else {
            throw GuestError.noModuleFolder(kernelVersion: version, searched: searched)
        }
        return Kernel(path: path, version: version, moduleFolder: folder)
    }

    /// The version (`6.1.0-57-cloud-amd64`) of the newest `vmlinuz-*-cloud-amd64` in the boot folder, else, unless
    /// `cloudOnly`, of the newest `vmlinuz-*`; nil when there is none. `findKernel` boots this one; tests that need the
    /// Debian cloud kernel itself (HostTools.debianCloudKernel) ask with `cloudOnly`.
    public func newestKernelVersion(cloudOnly: Bool = false) -> String? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: bootDirectory)) ?? []
        let versions = names.filter { $0.hasPrefix("vmlinuz-") }.map { String($0.dropFirst("vmlinuz-".count)) }
            .filter { !$0.isEmpty }
        let cloud = versions.filter { $0.hasSuffix("cloud-amd64") }
        return (cloud.isEmpty && !cloudOnly ? versions : cloud).max(by: Self.olderVersion)
    }

    /// `<boot folder>/vmlinuz-<version>`.
    public func kernelPath(version: String) -> String { "\(bootDirectory)/vmlinuz-\(version)" }

    /// Compares versions by their runs of digits as numbers, so `6.1.0-56` is newer than `6.1.0-9`.
    static func olderVersion(_ a: String, _ b: String) -> Bool {
        let left = components(a), right = components(b)
        for (x, y) in zip(left, right) where x != y {
            switch (x, y) {
            case (.number(let m), .number(let n)): return m < n
            case (.number, .text): return false
            case (.text, .number): return true
            case (.text(let s), .text(let t)): return s < t
            }
        }
        return left.count < right.count
    }

    private enum Component: Equatable {
        case number(Int)
        case text(String)
    }

    private static func components(_ version: String) -> [Component] {
        var result: [Component] = []
        var current = ""
        var inDigits = false
        func flush() {
            guard !current.isEmpty else { return }
            result.append(inDigits ? .number(Int(current) ?? Int.max) : .text(current))
            current = ""
        }
        for character in version {
            let digit = character.isASCII && character.isNumber
            if digit != inDigits { flush(); inDigits = digit }
            current.append(character)
        }
        flush()
        return result
    }
}
