import Foundation
import VMCtlModel

/// The real `ImageTool`: `/usr/bin/qemu-img` (Debian's qemu-utils), run as a process.
///
/// Every call passes the format with `-f` (and the backing format with `backing_fmt`), so qemu-img never probes
/// a guest-writable file's contents to decide how to read it. Paths are made absolute before they reach the
/// command line, so none can be taken for a protocol prefix (`json:`, `nbd:`) or an option.
public struct QEMUImg: ImageTool {
    public static let defaultExecutable = "/usr/bin/qemu-img"
    public static let package = "qemu-utils"

    public var executable: String
    public var runner: any ProcessRunner

    public init(executable: String = defaultExecutable, runner: any ProcessRunner = SystemProcessRunner()) {
        self.executable = executable
        self.runner = runner
    }

    public func info(path: String, format: ImageFormat) throws -> ImageToolInfo {
        // -U (force-share): a running VM holds its overlay's write lock, and info only reads.
        let output = try run(["info", "--output=json", "-U", "-f", format.rawValue, Self.absolute(path)])
        return try Self.parseInfo(output.stdout, path: path)
    }

    public func createOverlay(path: String, backingFile: String, backingFormat: ImageFormat, size: UInt64) throws {
        let options = "backing_file=\(Self.escapeOption(Self.absolute(backingFile))),backing_fmt=\(backingFormat.rawValue)"
        _ = try run(["create", "-q", "-f", "qcow2", "-o", options, Self.absolute(path), String(size)])
    }

    public func resize(path: String, format: ImageFormat, to size: UInt64) throws {
        _ = try run(["resize", "-q", "-f", format.rawValue, Self.absolute(path), String(size)])
    }

    private func run(_ arguments: [String]) throws -> ProcessOutput {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw ImageError.missingTool(tool: "qemu-img", package: Self.package)
        }
        let output: ProcessOutput
        do { output = try runner.run(executable, arguments) } catch {
            throw ImageError.toolFailed(tool: executable, arguments: arguments, status: -1, stderr: "cannot start it: \(error)")
        }
        guard output.status == 0 else {
            throw ImageError.toolFailed(tool: "qemu-img", arguments: arguments, status: output.status,
                                        stderr: String(decoding: output.stderr, as: UTF8.self))
        }
        return output
    }

    /// qemu's option syntax ends a value at a comma; a literal comma is written twice.
    static func escapeOption(_ value: String) -> String {
        value.replacingOccurrences(of: ",", with: ",,")
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// Reads `qemu-img info --output=json`.
    static func parseInfo(_ data: Data, path: String) throws -> ImageToolInfo {
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw ImageError.unexpectedToolOutput(tool: "qemu-img info", path: path, reason: "not JSON: \(error.localizedDescription)")
        }
        guard let info = object as? [String: Any] else {
            throw ImageError.unexpectedToolOutput(tool: "qemu-img info", path: path, reason: "not a JSON object")
        }
        guard let format = info["format"] as? String, let virtualSize = unsigned(info["virtual-size"]) else {
            throw ImageError.unexpectedToolOutput(tool: "qemu-img info", path: path, reason: "no format or virtual-size")
        }
        let specific = (info["format-specific"] as? [String: Any])?["data"] as? [String: Any]
        return ImageToolInfo(
            format: format, virtualSize: virtualSize, actualSize: unsigned(info["actual-size"]),
            backingFile: info["backing-filename"] as? String, fullBackingFile: info["full-backing-filename"] as? String,
            backingFormat: info["backing-filename-format"] as? String, dataFile: specific?["data-file"] as? String,
            encrypted: (info["encrypted"] as? Bool) ?? false)
    }

    private static func unsigned(_ value: Any?) -> UInt64? {
        guard let number = value as? NSNumber, number.int64Value >= 0 else { return nil }
        return number.uint64Value
    }
}
