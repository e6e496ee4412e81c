import Foundation
import Manifest
import Runtime
import VMCtlModel

/// A revision's manifests → a stack this host can run, or the diagnostics saying why not. The same checks as
/// `vmctl apply --restrict-paths` on the target host: the host's size, its free ports, and every path a manifest
/// names inside the checkout (or an `--allow-path` folder); in GitOps the manifest's author is not the host's root.
struct RevisionLoader {
    var allowPaths: [String]
    var environment: [String: String]
    var stateDirectory: StateDirectory

    struct Loaded {
        var stack: Stack?
        var diagnostics: [Diagnostic]
    }

    func load(_ snapshot: SourceSnapshot) -> Loaded {
        if let escaping = manifestOutsideRoot(snapshot) {
            return Loaded(stack: nil, diagnostics: [Diagnostic(.error, at: SourceLocation(file: escaping, line: 1, column: 1), path: "",
                "the manifest is a symbolic link that leads out of the source", hint: "commit the manifest itself, not a link to a file outside")])
        }
        let sources: [ManifestSource]
        do { sources = try SourceReader.read([snapshot.manifests]) } catch {
            return Loaded(stack: nil, diagnostics: [Diagnostic(.error, at: SourceLocation(file: relative(snapshot.manifests, snapshot), line: 1, column: 1),
                                                               path: "", String(describing: error))])
        }
        var result = ManifestLoader.load(sources, env: environment, host: HostProbe.facts())
        PathConfinement.apply(PathPolicy(roots: [snapshot.root] + allowPaths), to: &result)
        if let stack = result.stack, result.isValid {
            let problems = PortConflicts.check(stack, stateDirectory: stateDirectory)
            for problem in problems {
                if let diagnostic = result.diagnostic(vm: problem.vm, field: "ports[\(problem.index)]", problem.message, hint: problem.hint) {
                    result.diagnostics.append(diagnostic)
                }
            }
            if !problems.isEmpty { result.stack = nil }
        }
        let diagnostics = result.diagnostics.map { diagnostic in
            var shown = diagnostic
            shown.location.file = relative(diagnostic.location.file, snapshot)
            return shown
        }
        return Loaded(stack: result.isValid ? result.stack : nil, diagnostics: diagnostics)
    }

    /// Files are named relative to the checkout, as they are in the repository.
    private func relative(_ file: String, _ snapshot: SourceSnapshot) -> String {
        file.hasPrefix(snapshot.root + "/") ? String(file.dropFirst(snapshot.root.count + 1)) : file
    }

    /// A manifest that is a link to a file outside the source would be read as YAML, and its content shown in errors.
    private func manifestOutsideRoot(_ snapshot: SourceSnapshot) -> String? {
        let root = realpathString(snapshot.root) ?? snapshot.root
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: snapshot.manifests)) ?? []).sorted()
        where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            let file = snapshot.manifests + "/" + name
            guard let real = realpathString(file), real == root || real.hasPrefix(root + "/") else { return relative(file, snapshot) }
        }
        return nil
    }
}

func realpathString(_ path: String) -> String? {
    guard let resolved = realpath(path, nil) else { return nil }
    defer { free(resolved) }
    return String(cString: resolved)
}

extension Diagnostic {
    /// `stack/web.yaml:12:3: vms.web.memory: memory must be … (hint)`: one line for a condition or an event.
    var oneLine: String {
        let field = path.isEmpty || message.contains(path) ? "" : "\(path): "
        return "\(location.file):\(location.line):\(location.column): \(field)\(message)"
    }
}
