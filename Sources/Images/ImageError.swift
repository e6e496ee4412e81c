import Foundation

/// Errors of the image store, each naming the file, image or tool concerned and what to do about it.
public enum ImageError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The source is not a regular file (a folder, a device, a FIFO, a socket, a symlink to one of these).
    case notARegularFile(path: String, kind: String)
    case emptyImage(path: String)
    case invalidDigest(String)
    case digestMismatch(path: String, expected: String, actual: String)
    /// The source changed (size, mtime or ctime) while it was being copied.
    case sourceChanged(path: String)
    /// A qcow2 header that is truncated, of an unknown version, or otherwise unreadable.
    case malformedQCOW2(path: String, reason: String)
    /// A qcow2 image that would make the VMM read or write another host file, or one it cannot use safely.
    case refusedQCOW2(path: String, reason: String)
    case io(operation: String, path: String, code: Int32)
    case missingTool(tool: String, package: String)
    case toolFailed(tool: String, arguments: [String], status: Int32, stderr: String)
    case unexpectedToolOutput(tool: String, path: String, reason: String)
    case unreadableMetadata(path: String, reason: String)
    case overlayTooSmall(path: String, requested: UInt64, baseVirtualSize: UInt64)
    case overlayShrink(path: String, current: UInt64, requested: UInt64)
    case overlayExists(path: String)
    case imageNotFound(digest: String)
    case ambiguousDigest(prefix: String, matches: [String])
    case digestPrefixTooShort(String)
    case inUse(digest: String, users: [String])
    /// `vmctl image rm/prune` found a VM record it cannot read, so it cannot tell which images are in use.
    case unreadableVMRecord(path: String, reason: String)
    /// Another vmctl holds the store's use lease (it is importing images or attaching them to VMs).
    case busy(path: String)

    public var description: String {
        switch self {
        case .notARegularFile(let path, let kind):
            return "cannot import \(path): it is \(kind), not a regular file"
        case .emptyImage(let path):
            return "cannot import \(path): the file is empty"
        case .invalidDigest(let text):
            return "'\(text)' is not a SHA-256 digest (64 hex digits)"
        case .digestMismatch(let path, let expected, let actual):
            return "\(path) does not have the expected SHA-256: expected \(expected), got \(actual); nothing was stored"
        case .sourceChanged(let path):
            return "\(path) changed while it was being imported; nothing was stored (retry once it is no longer being written)"
        case .malformedQCOW2(let path, let reason):
            return "\(path) starts like a qcow2 image but its header is invalid: \(reason)"
        case .refusedQCOW2(let path, let reason):
            return "refusing the qcow2 image \(path): \(reason)"
        case .io(let operation, let path, let code):
            return "cannot \(operation) \(path): \(String(cString: strerror(code)))"
        case .missingTool(let tool, let package):
            return "\(tool) is not installed; install the Debian package \(package) (apt-get install \(package))"
        case .toolFailed(let tool, let arguments, let status, let stderr):
            let message = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            return "\(tool) \(arguments.joined(separator: " ")) failed (exit status \(status))" + (message.isEmpty ? "" : ": \(message)")
        case .unexpectedToolOutput(let tool, let path, let reason):
            return "cannot understand \(tool)'s answer about \(path): \(reason)"
        case .unreadableMetadata(let path, let reason):
            return "cannot read the image record \(path): \(reason)"
        case .overlayTooSmall(let path, let requested, let base):
            return "cannot create \(path) with \(requested) bytes: the base image's virtual size is \(base) bytes, and a disk cannot be smaller than its image"
        case .overlayShrink(let path, let current, let requested):
            return "cannot shrink \(path) from \(current) to \(requested) bytes: shrinking a disk loses the data at its end (only growing is supported)"
        case .overlayExists(let path):
            return "\(path) already exists; a VM's disk is never overwritten (remove it first to start from the image again)"
        case .imageNotFound(let digest):
            return "no stored image has the digest \(digest) (see vmctl image ls)"
        case .ambiguousDigest(let prefix, let matches):
            return "the digest prefix \(prefix) matches several images (\(matches.joined(separator: ", "))); give more digits"
        case .digestPrefixTooShort(let prefix):
            return "the digest prefix \(prefix) is too short; give at least \(DigestPrefix.minimumLength) hex digits"
        case .inUse(let digest, let users):
            let who = users.isEmpty ? "a VM" : users.joined(separator: ", ")
            return "image \(digest) is in use by \(who); destroy or change those VMs first"
        case .unreadableVMRecord(let path, let reason):
            return "cannot tell which images are in use: \(path) cannot be read (\(reason)); nothing was removed"
        case .busy(let path):
            return "another vmctl is importing images or attaching them to VMs right now (it holds \(path)); nothing was removed, retry when it has finished"
        }
    }
}
