import Foundation

/// One revision of the manifests, checked out in a folder.
public struct SourceSnapshot: Sendable, Equatable {
    /// The folder holding the stack's manifests.
    public var manifests: String
    /// The folder paths in manifests may reach without `--allow-path` (the checkout or the source folder).
    public var root: String
    /// A commit id, or a content digest for a plain folder.
    public var revision: String
}

/// Where the desired state comes from: a folder, or a branch of a git repository.
public protocol StackSource: Sendable {
    /// For messages and the status file: `/srv/stack` or `git https://… (main)`.
    var description: String { get }
    /// Brings the newest revision into its folder. Throws `ReconcileError.source` with what went wrong.
    func fetch() throws -> SourceSnapshot
    /// A cheap look at the newest revision (no checkout), to start the next tick early when it changed; nil when
    /// it cannot tell.
    func peek() -> String?
    /// Identifies the source across restarts (the stack it feeds is remembered under it).
    var key: String { get }
    /// Lets go of every revision's files but these (the running stack's and the newest).
    func retain(_ revisions: Set<String>)
}

extension StackSource {
    public func retain(_ revisions: Set<String>) {}
}

/// Revisions are shown shortened, as git does.
public func shortRevision(_ revision: String) -> String {
    if let colon = revision.firstIndex(of: ":") { return String(revision[...colon]) + revision[revision.index(after: colon)...].prefix(12) }
    return String(revision.prefix(12))
}

extension Sequence where Element == UInt8 {
    /// Lowercase hex. Not String(format:): the daemon stays clear of Foundation's ICU-backed formatting, which costs
    /// megabytes of resident memory once touched (bench/README.md, Reconciler).
    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        for byte in self { bytes.append(digits[Int(byte >> 4)]); bytes.append(digits[Int(byte & 0x0F)]) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Date {
    /// RFC 3339 in UTC, without Foundation's ICU (ISO8601DateFormatter loads it).
    var iso8601: String { formatted(.iso8601) }
}
