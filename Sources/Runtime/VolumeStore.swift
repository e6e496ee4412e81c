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
            do { try Self.copyImage(from: source, to: partial) } catch {
                unlink(partial)
                throw RuntimeError.vm(name: name, operation: "import volume", reason: "cannot copy \(source): \(error)")
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

    /// Copies an image: a reflink where the filesystem can (Btrfs, XFS: instant, no blocks written), else
    /// only its data extents (copy_file_range), so the holes of a sparse image stay holes. Flushed to disk.
    static func copyImage(from source: String, to destination: String) throws {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw RuntimeError.io(operation: "open \(source)", code: errno) }
        defer { close(input) }
        var info = stat()
        guard fstat(input, &info) == 0 else { throw RuntimeError.io(operation: "stat \(source)", code: errno) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw RuntimeError.vm(name: source, operation: "import volume", reason: "not a regular file")
        }
        let output = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw RuntimeError.io(operation: "create \(destination)", code: errno) }
        defer { close(output) }
        let ficlone: UInt = 0x4004_9409   // _IOW(0x94, 9, int)
        if ioctl(output, ficlone, input) == 0 { return }
        let size = info.st_size
        guard ftruncate(output, size) == 0 else { throw RuntimeError.io(operation: "size \(destination)", code: errno) }
        var offset: off_t = 0
        while offset < size {
            // SEEK_DATA/SEEK_HOLE (3, 4): a filesystem without them reports the whole file as data.
            var data = lseek(input, offset, 3)
            if data < 0 {
                if errno == ENXIO { break }   // only a hole is left
                data = offset
            }
            var hole = lseek(input, data, 4)
            if hole < 0 { hole = size }
            try copyRange(input, output, from: data, count: Int(hole - data), path: destination)
            offset = hole
        }
        guard fsync(output) == 0 else { throw RuntimeError.io(operation: "flush \(destination)", code: errno) }
    }

    private typealias CopyFileRange = @convention(c) (Int32, UnsafeMutablePointer<off_t>?, Int32, UnsafeMutablePointer<off_t>?, Int, UInt32) -> Int

    /// copy_file_range(2) (looked up at run time, glibc 2.27+), else read and write through a buffer.
    private static func copyRange(_ input: Int32, _ output: Int32, from start: off_t, count: Int, path: String) throws {
        var inOffset = start, outOffset = start, left = count
        if let symbol = dlsym(nil, "copy_file_range") {
            let copy = unsafeBitCast(symbol, to: CopyFileRange.self)
            while left > 0 {
                let n = copy(input, &inOffset, output, &outOffset, left, 0)
                if n > 0 { left -= n; continue }
                if n == 0 { return }   // the source shrank meanwhile
                if errno == EINTR { continue }
                if errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP { break }
                throw RuntimeError.io(operation: "copy into \(path)", code: errno)
            }
        }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while left > 0 {
            let n = buffer.withUnsafeMutableBytes { pread(input, $0.baseAddress, min(left, $0.count), inOffset) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw RuntimeError.io(operation: "read for \(path)", code: errno) }
            if n == 0 { return }
            var done = 0
            while done < n {
                let w = buffer.withUnsafeBytes { pwrite(output, $0.baseAddress! + done, n - done, outOffset + off_t(done)) }
                if w < 0, errno == EINTR { continue }
                guard w > 0 else { throw RuntimeError.io(operation: "write \(path)", code: errno) }
                done += w
            }
            inOffset += off_t(n)
            outOffset += off_t(n)
            left -= n
        }
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
