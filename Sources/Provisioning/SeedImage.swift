import Foundation

/// Writes a NoCloud seed as an ISO 9660 volume labelled `cidata` (Rock Ridge and Joliet names), as Lima and
/// vagrant-libvirt do, with genisoimage. The image holds the VM's private host key: it is written 0600,
/// atomically (a temporary sibling, then rename), and its staging folder is removed.
public struct SeedImage: Sendable {
    public static let volumeLabel = "cidata"
    public static let tool = "genisoimage"
    public static let package = "genisoimage"

    public var runner: any CommandRunning

    public init(runner: any CommandRunning = SystemCommandRunner()) {
        self.runner = runner
    }

    /// Writes `files` to a new ISO at `path` (replacing any old one only once the new one is complete).
    public func write(_ files: [SeedFile], to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        try AtomicWrite.makeFolder(folder.isEmpty ? "." : folder)
        let staging = AtomicWrite.temporaryName(for: path) + ".d"
        try AtomicWrite.makeFolder(staging)
        defer { try? FileManager.default.removeItem(atPath: staging) }
        for file in files {
            guard !file.name.isEmpty, !file.name.contains("/") else {
                throw ProvisioningError.invalidRequest("a seed file may not be named '\(file.name)'")
            }
            try AtomicWrite.write(file.contents, to: staging + "/" + file.name)
        }
        let temporary = staging + "/seed.iso"
        try runner.check(Self.tool, ["-output", temporary, "-volid", Self.volumeLabel, "-joliet", "-rock",
                                     "-input-charset", "utf-8", "-quiet"] + files.map(\.name),
                         package: Self.package, directory: staging)
        guard chmod(temporary, 0o600) == 0 else { throw AtomicWrite.failure("set the mode of", temporary) }
        try AtomicWrite.rename(temporary, to: path)
    }

    /// Writes the seed's three files to `path`.
    public func write(_ seed: NoCloudSeed, to path: String) throws {
        try write(seed.files, to: path)
    }
}
