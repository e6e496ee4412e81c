import Foundation

/// Reads the inputs users name on the command line: files, folders (their `*.yaml`/`*.yml`, in name order) and `-`.
public enum SourceReader {
    public struct InputError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "cannot read '\(path)': \(reason)" }
    }

    public static func read(_ paths: [String], standardInput: () -> [UInt8] = readStandardInput) throws -> [ManifestSource] {
        let cwd = FileManager.default.currentDirectoryPath
        var sources: [ManifestSource] = []
        for path in paths {
            if path == "-" {
                sources.append(ManifestSource(name: "<stdin>", baseDirectory: cwd, bytes: standardInput()))
                continue
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw InputError(path: path, reason: "no such file or folder")
            }
            let absolute = Paths.resolve(path, against: cwd)
            if isDirectory.boolValue {
                let names = try listing(path).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
                guard !names.isEmpty else { throw InputError(path: path, reason: "the folder has no *.yaml or *.yml files") }
                for name in names {
                    let file = path.hasSuffix("/") ? path + name : path + "/" + name
                    sources.append(ManifestSource(name: file, baseDirectory: absolute, bytes: try contents(file)))
                }
            } else {
                let folder = absolute.split(separator: "/").dropLast().joined(separator: "/")
                sources.append(ManifestSource(name: path, baseDirectory: "/" + folder, bytes: try contents(path)))
            }
        }
        return sources
    }

    private static func listing(_ path: String) throws -> [String] {
        do { return try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            throw InputError(path: path, reason: "the folder cannot be listed (\(error.localizedDescription))")
        }
    }

    /// Reads at most one byte past the limit, so a huge file is refused without loading it whole.
    private static func contents(_ path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw InputError(path: path, reason: "permission denied or not a regular file")
        }
        defer { try? handle.close() }
        do {
            let data = try handle.read(upToCount: ManifestLoader.maxFileSize + 1) ?? Data()
            return [UInt8](data)
        } catch {
            throw InputError(path: path, reason: error.localizedDescription)
        }
    }

    public static func readStandardInput() -> [UInt8] {
        let data = (try? FileHandle.standardInput.read(upToCount: ManifestLoader.maxFileSize + 1)) ?? Data()
        return [UInt8](data)
    }
}
