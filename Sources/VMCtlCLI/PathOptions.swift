import ArgumentParser
import Foundation
import Manifest

/// `--restrict-paths` and `--allow-path`: which host files manifests may name (PathConfinement).
struct PathOptions: ParsableArguments {
    @Flag(help: "Refuse host files the manifests name (kernel, initrd, image.path, volume source, cloudInit.userData) outside the manifests' folders, symlinks followed.")
    var restrictPaths = false

    @Option(name: .customLong("allow-path"), help: ArgumentHelp("Also allow files under DIR (repeatable; implies --restrict-paths).", valueName: "dir"))
    var allowPath: [String] = []

    var restricts: Bool { restrictPaths || !allowPath.isEmpty }

    func validate() throws {
        for dir in allowPath {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isFolder), isFolder.boolValue else {
                throw ValidationError("--allow-path \(dir): no such folder")
            }
        }
    }

    /// Nil when paths are not restricted.
    func policy(for sources: [ManifestSource]) -> PathPolicy? {
        restricts ? PathPolicy.manifestFolders(of: sources, allowing: allowPath) : nil
    }

    /// The text for the commands' --help discussions.
    static let discussion = """
        --restrict-paths refuses every host file a manifest names (kernel, initrd, image.path, volume source, cloudInit.userData) that lies outside the folders the manifests were read from (a folder given, a file's folder, the current folder for -), after following symlinks: neither ../../etc/shadow nor a symlink to it gets into a VM. --allow-path DIR allows DIR too (repeatable) and implies --restrict-paths.
        """
}
