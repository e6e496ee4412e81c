import ArgumentParser
import Foundation
import Images
import Runtime
import VMCtlModel

struct ImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "List, import and remove the base images that VMs' disks are overlays of.",
        discussion: "Images are stored by SHA-256 under <state-dir>/images; apply imports a VM's image: and gives the VM a qcow2 overlay on it. An image a VM uses (its vm.json names it) is never removed.",
        subcommands: [ImageListCommand.self, ImageImportCommand.self, ImageRemoveCommand.self, ImagePruneCommand.self])
}

struct ImageListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the stored images and the VMs that use them.",
                                                    aliases: ["list"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var format: OutputOptions

    func run() throws {
        let context = ImageContext(global)
        let entries = try context.attempt { try context.store.list() }
        var users: ImageUsers?
        do { users = try context.users(of: entries) } catch ImageError.unreadableVMRecord(let path, let reason) {
            Console.err("vmctl: warning: USED BY is unknown (?): \(path) cannot be read (\(reason))\n")
        }
        switch format.output {
        case .json: Console.out(ImageView.json(entries.map { ImageView.Listed(entry: $0, users: users?[$0.digest]) }))
        case .human: Console.out(ImageView.table(entries, users: users))
        }
    }
}

struct ImageImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import an image file into the store now (apply does this for each VM's image:).",
        discussion: "The format comes from the file's header (qcow2, else raw). A qcow2 that names a backing file or an external data file, or is encrypted, is refused. Importing unchanged content again copies nothing.")

    @Argument(help: ArgumentHelp("The image file.", valueName: "path"))
    var path: String

    @Option(help: ArgumentHelp("Refuse the file unless its SHA-256 is this (64 hex digits).", valueName: "hex"))
    var sha256: String?

    @OptionGroup var global: GlobalOptions
    @OptionGroup var format: OutputOptions

    func run() throws {
        let context = ImageContext(global)
        let started = Date()
        let image = try context.attempt { try context.store.import(path: path, expectedSHA256: sha256) }
        switch format.output {
        case .json: Console.out(ImageView.json(image))
        case .human:
            let seconds = String(format: "%.2f", Date().timeIntervalSince(started))
            Console.out("\(image.digest)  \(image.format.rawValue)  \(image.virtualSize.approximate)  (\(seconds) s)\n")
        }
    }
}

struct ImageRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Remove stored images that no VM uses.",
        discussion: "Name an image by its digest or a prefix of at least 12 hex digits. An image a VM uses is refused, naming the VMs.",
        aliases: ["remove"])

    @Argument(help: ArgumentHelp("Digests or digest prefixes.", valueName: "digest"))
    var digests: [String]

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard !digests.isEmpty else { throw ValidationError("name at least one image digest (see vmctl image ls)") }
    }

    func run() throws {
        let context = ImageContext(global)
        var failed = false
        for digest in digests {
            do {
                let removed = try context.store.remove(digest: digest, users: { try context.users(of: try context.store.list()) })
                Console.out("Removed \(removed)\n")
            } catch {
                Console.err("vmctl: error: \(error)\n")
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}

struct ImagePruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove every stored image that no VM uses.",
        discussion: "Refuses to remove anything while a VM record cannot be read, or while another vmctl is attaching images.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var format: OutputOptions

    func run() throws {
        let context = ImageContext(global)
        let removed = try context.attempt { try context.store.prune(users: { try context.users(of: try context.store.list()) }) }
        switch format.output {
        case .json: Console.out(ImageView.json(removed.map { ImageView.Listed(entry: $0, users: nil) }))
        case .human:
            let freed = ByteSize(bytes: removed.reduce(0) { $0 + $1.metadata.actualSize.bytes }).approximate
            Console.out(removed.isEmpty ? "No unused images.\n" : removed.map { "Removed \($0.digest)\n" }.joined() + "Freed \(freed).\n")
        }
    }
}

/// The store and the state folder a command works on.
struct ImageContext {
    let stateDirectory: String
    let store: ImageStore

    init(_ global: GlobalOptions) {
        stateDirectory = RuntimeContext(global).stateDirectory.path
        store = ImageStore(root: stateDirectory + "/images")
    }

    /// Which VMs use which images, from every stack's VM records.
    func users(of entries: [ImageEntry]) throws -> ImageUsers {
        try VMImageScan.users(stateDirectory: stateDirectory, images: entries)
    }

    /// Runs `body`, turning an error into vmctl's error line and exit status 1.
    func attempt<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch {
            Console.err("vmctl: error: \(error)\n")
            throw ExitCode(1)
        }
    }
}

/// How `vmctl image` shows images.
enum ImageView {
    struct Listed: Encodable {
        var entry: ImageEntry
        /// nil: unknown (a VM record could not be read).
        var users: [String]?

        enum Key: String, CodingKey { case digest, format, virtualSize, actualSize, path, sources, importedAt, lastImportedAt, users }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(entry.digest, forKey: .digest)
            try container.encode(entry.image.format, forKey: .format)
            try container.encode(entry.image.virtualSize, forKey: .virtualSize)
            try container.encode(entry.metadata.actualSize, forKey: .actualSize)
            try container.encode(entry.image.path, forKey: .path)
            try container.encode(entry.metadata.sources, forKey: .sources)
            try container.encode(entry.metadata.importedAt, forKey: .importedAt)
            try container.encode(entry.metadata.lastImportedAt, forKey: .lastImportedAt)
            try container.encodeIfPresent(users, forKey: .users)
        }
    }

    static func table(_ entries: [ImageEntry], users: ImageUsers?) -> String {
        guard !entries.isEmpty else { return "No images.\n" }
        let dates = ISO8601DateFormatter()
        var rows = [["DIGEST", "FORMAT", "VIRTUAL", "ON DISK", "IMPORTED", "USED BY", "SOURCE"]]
        for entry in entries {
            let used = users.map { ($0[entry.digest] ?? []).joined(separator: ",") } ?? "?"
            var source = entry.metadata.sources.last ?? ""
            if entry.metadata.sources.count > 1 { source += " (+\(entry.metadata.sources.count - 1))" }
            rows.append([entry.image.shortDigest, entry.image.format.rawValue, entry.image.virtualSize.approximate,
                         entry.metadata.actualSize.approximate, dates.string(from: entry.metadata.importedAt),
                         used.isEmpty ? "-" : used, source])
        }
        let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        guard let data = try? encoder.encode(value) else { return "{}\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
