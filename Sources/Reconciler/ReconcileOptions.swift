/// How a reconciler runs (the flags of `vmctl reconcile`).
public struct ReconcileOptions: Sendable {
    /// The full plan runs this often whatever happened, so drift made by hand is corrected.
    public var interval: Duration = .seconds(60)
    /// The stack this reconciler manages, taken at start-up: its status file and lease exist before the first revision
    /// validates, and a revision naming another stack is refused. Without it, the first valid revision names it.
    public var stack: String?
    /// After a failed tick (fetch, apply, a held lock), the next one comes this soon.
    public var retryInterval: Duration = .seconds(30)
    /// Delete VMs and networks no longer in the manifests (never volumes, never every VM of the stack).
    public var prune = false
    /// One tick, then exit: 0 when the stack is Ready.
    public var once = false
    /// Folders outside the source that manifests may name (kernels, images, volume sources).
    public var allowPaths: [String] = []
    public var backoff = Backoff()
    /// How often VM processes are checked (from /proc: cheap), so a crash is seen within this.
    public var watchInterval: Duration = .seconds(2)
    /// How often the source is asked for a new revision (git ls-remote, or the folder's digest).
    public var sourcePollInterval: Duration = .seconds(10)
    public var parallelism = 4
    /// How long a tick waits for the stack lock (a manual apply) before trying again later.
    public var lockTimeout: Duration = .seconds(2)

    public init() {}
}
