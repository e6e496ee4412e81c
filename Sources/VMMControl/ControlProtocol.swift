/// Constants of the control protocol (docs/control-protocol.md).
public enum ControlProtocol {
    /// The `version` every request carries. A server answers other versions with `unsupported-version`.
    public static let version = 1
    /// Longest request line a server reads, newline excluded. Longer lines get `request-too-large`.
    public static let maxRequestBytes = 64 * 1024
    /// Longest response line a client accepts, newline excluded.
    public static let maxResponseBytes = 1024 * 1024
    /// Most bytes one `console-input` request may carry (after base64 decoding).
    public static let maxConsoleInputBytes = 4096
}
