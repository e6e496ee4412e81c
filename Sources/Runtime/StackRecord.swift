import Foundation
import VMCtlModel

/// What vmctl keeps about the stack as a whole between commands (`stack.json`): the budget it was last applied with,
/// so `vmctl destroy`, which reads no manifest, compares against the same limits as `apply` did.
public struct StackRecord: Codable, Sendable, Equatable {
    public var formatVersion = 1
    public var stack: String
    /// The manifest's `host`, with the defaults the loader filled in.
    public var host: HostBudget
    /// Wall-clock time of the apply that wrote it (seconds since 1970).
    public var appliedAt: Double

    public init(stack: String, host: HostBudget, appliedAt: Double = Date().timeIntervalSince1970) {
        self.stack = stack
        self.host = host
        self.appliedAt = appliedAt
    }
}

extension StackRuntime {
    /// Records the budget of the stack being applied (before any change, so an interrupted apply leaves it too).
    public func saveStackRecord(_ desired: Stack) throws {
        try AtomicFile.makeDirectory(paths.root)
        try AtomicFile.writeJSON(StackRecord(stack: stack, host: desired.host), to: paths.stackRecord)
    }

    /// The recorded stack, nil when none was recorded (a stack applied by a vmctl before stack.json); throws
    /// `RuntimeError.unreadableState` naming the file when it cannot be read.
    public func stackRecord() throws -> StackRecord? {
        try AtomicFile.readJSON(StackRecord.self, from: paths.stackRecord)
    }
}
