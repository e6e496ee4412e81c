#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VMCtlModel

/// The folders whose files manifests may name. Compared after symlinks are resolved, component by component.
public struct PathPolicy: Sendable {
    public var roots: [String]

    public init(roots: [String]) { self.roots = roots }

    /// `--restrict-paths`: the folders the manifests were read from (a folder input, a file's folder, for standard
    /// input the current folder), plus `extra` (`--allow-path`).
    public static func manifestFolders(of sources: [ManifestSource], allowing extra: [String] = []) -> PathPolicy {
        var roots: [String] = []
        for root in sources.map(\.baseDirectory) + extra where !roots.contains(root) { roots.append(root) }
        return PathPolicy(roots: roots)
    }
}

/// Keeps manifests from reading host files outside the allowed folders: `source: ../../etc/shadow`, or a symlink
/// beside the manifest pointing there, would otherwise copy that file into a VM. This reads the file system (realpath),
/// unlike the rest of the loader, so callers ask for it explicitly.
public enum PathConfinement {
    /// Resolves each referenced path with symlinks followed (realpath); a path outside every root, or one that cannot be
    /// resolved, becomes an error at its file:line:column naming the field, the path, what it resolves to and the
    /// allowed roots, with a hint (--allow-path DIR). Sets `result.stack` to nil when it adds an error.
    public static func apply(_ policy: PathPolicy, to result: inout ManifestResult) {
        let roots = policy.roots.map { FileSystemPath.real($0) ?? $0 }
        let shownRoots = roots.joined(separator: ", ")
        var added: [Diagnostic] = []
        for reference in result.hostPaths where !result.hasError(at: reference) {
            let named = reference.written == reference.path ? reference.path : "'\(reference.written)' (\(reference.path))"
            switch FileSystemPath.resolve(reference.path) {
            case .failure(let reason):
                added.append(Diagnostic(.error, at: reference.location, path: reference.field,
                                        "\(reference.field): \(named) cannot be resolved: \(reason); allowed folders: \(shownRoots)",
                                        hint: "every path a manifest names must exist when paths are restricted; fix the path or create the file"))
            case .success(let real) where !roots.contains(where: { FileSystemPath.isInside(real, root: $0) }):
                added.append(Diagnostic(.error, at: reference.location, path: reference.field,
                                        "\(reference.field): \(named) resolves to \(real), outside the allowed folders: \(shownRoots)",
                                        hint: "name a file inside the allowed folders, or allow its folder with --allow-path DIR"))
            case .success:
                continue
            }
        }
        guard !added.isEmpty else { return }
        result.diagnostics = (result.diagnostics + added).sorted()
        result.stack = nil
    }
}

/// `vmctl validate --host`: the files the manifests name must exist on this host.
public enum HostPathCheck {
    /// Adds an error for each referenced path that does not exist (a dangling symlink counts as missing); sets
    /// `result.stack` to nil when it adds one.
    public static func requireExisting(in result: inout ManifestResult) {
        var added: [Diagnostic] = []
        for reference in result.hostPaths where !result.hasError(at: reference) && access(reference.path, F_OK) != 0 {
            let named = reference.written == reference.path ? reference.path : "'\(reference.written)' (\(reference.path))"
            let reason = FileSystemPath.ResolveError(errno: errno)
            added.append(Diagnostic(.error, at: reference.location, path: reference.field,
                                    "\(reference.field): \(named) cannot be found on this host: \(reason)",
                                    hint: reference.written.hasPrefix("/") ? nil : "relative paths start from the folder of the manifest file"))
        }
        guard !added.isEmpty else { return }
        result.diagnostics = (result.diagnostics + added).sorted()
        result.stack = nil
    }
}

extension ManifestResult {
    /// One error per field is enough: a path that `HostPathCheck` reported missing is not reported again as unresolvable.
    func hasError(at reference: HostPathReference) -> Bool {
        diagnostics.contains { $0.severity == .error && $0.location == reference.location && $0.path == reference.field }
    }
}

enum FileSystemPath {
    static func resolve(_ path: String) -> Result<String, ResolveError> {
        guard let resolved = realpath(path, nil) else { return .failure(ResolveError(errno: errno)) }
        defer { free(resolved) }
        return .success(String(cString: resolved))
    }

    static func real(_ path: String) -> String? {
        if case .success(let real) = resolve(path) { return real }
        return nil
    }

    /// By components, so `/srv/a` holds `/srv/a/x` but not `/srv/ab`.
    static func isInside(_ path: String, root: String) -> Bool {
        let rootParts = root.split(separator: "/")
        let parts = path.split(separator: "/")
        return parts.count >= rootParts.count && zip(rootParts, parts).allSatisfy { $0 == $1 }
    }

    struct ResolveError: Error, CustomStringConvertible {
        var errno: Int32
        var description: String { String(cString: strerror(errno)).lowercased() }
    }
}
