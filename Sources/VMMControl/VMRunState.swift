/// What the VM's vCPUs are doing, as `describe` reports it.
public enum VMRunState: String, Codable, Sendable, CaseIterable {
    case running
    case paused
    /// Shutting down or powered off; the process is about to exit. Only describe and stats are answered.
    case stopping
}
