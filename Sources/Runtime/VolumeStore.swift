import Foundation
import VMCtlModel

/// Volume images: sparse raw files, created, imported, grown; never deleted except by an explicit request.
struct VolumeStore {
    let paths: StackPaths

    func create(_ name: String, spec: VolumeSpec) throws {
        try AtomicFile.makeDirectory(paths.volumes)
        let image = paths.volumeImage(name)
        let partial = image + ".partial"
        unlink(partial)
        if let source = spec.source {
            do { try FileManager.default.copyItem(atPath: source, toPath: partial) } catch {
                throw RuntimeError.vm(name: name, operation: "import volume", reason: "cannot copy \(source): \(error.localizedDescription)")
            }
        } else {
            guard FileManager.default.createFile(atPath: partial, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw RuntimeError.io(operation: "create \(partial)", code: errno)
            }
        }
        if let size = spec.size { try grow(partial, to: size) }
        if let filesystem = spec.filesystem, spec.source == nil {
            try format(partial, as: filesystem, label: name)
        }
        // Only a complete image gets the real name: an interrupted create leaves no half volume behind.
        guard rename(partial, image) == 0 else { throw RuntimeError.io(operation: "rename \(partial)", code: errno) }
        let size = try currentSize(name)
        try AtomicFile.writeJSON(ObservedVolume(name: name, spec: spec, size: size), to: paths.volumeRecord(name))
    }

    func grow(_ name: String, spec: VolumeSpec) throws {
        guard let size = spec.size else { return }
        try grow(paths.volumeImage(name), to: size)
        try AtomicFile.writeJSON(ObservedVolume(name: name, spec: spec, size: try currentSize(name)), to: paths.volumeRecord(name))
    }

    func delete(_ name: String) throws {
        for path in [paths.volumeRecord(name), paths.volumeImage(name)] where FileManager.default.fileExists(atPath: path) {
            try FileManager.default.removeItem(atPath: path)
        }
    }

    func observe() throws -> [String: ObservedVolume] {
        var volumes: [String: ObservedVolume] = [:]
        let names = (try? FileManager.default.contentsOfDirectory(atPath: paths.volumes)) ?? []
        for file in names where file.hasSuffix(".json") {
            let name = String(file.dropLast(5))
            guard var volume = try AtomicFile.readJSON(ObservedVolume.self, from: paths.volumeRecord(name)) else { continue }
            volume.size = (try? currentSize(name)) ?? volume.size
            volumes[name] = volume
        }
        return volumes
    }

    func currentSize(_ name: String) throws -> ByteSize {
        let attributes = try FileManager.default.attributesOfItem(atPath: paths.volumeImage(name))
        return ByteSize(bytes: (attributes[.size] as? UInt64) ?? 0)
    }

    private func grow(_ path: String, to size: ByteSize) throws {
        let current = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? UInt64) ?? 0
        guard size.bytes > current else { return }
        // truncate(2) extends sparsely: no blocks are written, so even large volumes are instant.
        guard truncate(path, off_t(size.bytes)) == 0 else { throw RuntimeError.io(operation: "grow \(path)", code: errno) }
    }

    private func format(_ path: String, as filesystem: VolumeFilesystem, label: String) throws {
        let tool = ["/usr/sbin/mke2fs", "/sbin/mke2fs"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let tool else { throw RuntimeError.missingTool(tool: "mke2fs", package: "e2fsprogs") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["-q", "-F", "-t", filesystem.rawValue, "-L", String(label.prefix(16)), path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw RuntimeError.vm(name: label, operation: "format volume", reason: "mke2fs failed: \(message)")
        }
    }
}
