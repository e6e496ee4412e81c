import Runtime

/// Where a stack's reconciler keeps what outside tools read: `<state>/stacks/<stack>/reconcile/`.
public struct ReconcilePaths: Sendable {
    public var root: String

    public init(stateDirectory: StateDirectory, stack: String) {
        root = stateDirectory.stackFolder(stack) + "/reconcile"
    }

    /// Conditions, revisions, recent ticks and each VM's supervision (`ReconcileStatus`).
    public var status: String { root + "/status.json" }
    /// One JSON object per line (`ReconcileEvent`); rotated to `events.jsonl.1`.
    public var events: String { root + "/events.jsonl" }
    /// Present while the stack is suspended (`vmctl reconcile suspend`).
    public var suspended: String { root + "/suspended.json" }
    /// flock'ed by the reconciler that owns the stack, for its whole life; `owner.json` says who it is.
    public var ownerLock: String { root + "/owner.lock" }
    public var owner: String { root + "/owner.json" }
    /// The last stack that validated and was applied: kept running while later revisions are refused, also across
    /// a restart of the reconciler.
    public var lastGood: String { root + "/last-good.json" }
}

/// Checkouts of git sources: `<state>/reconcile/git/<key>/`.
public func gitCheckoutsFolder(_ stateDirectory: StateDirectory) -> String { stateDirectory.path + "/reconcile/git" }
