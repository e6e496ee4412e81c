/// The error half of a response: `{"code": "...", "message": "..."}`. Codes are stable identifiers for
/// programs; messages are for people and may change.
public struct ControlError: Error, Codable, Equatable, Sendable {
    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// An open set: a client keeps codes it does not know (from a newer VMM) instead of failing to decode.
    public struct Code: RawRepresentable, Codable, Hashable, Sendable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The line is not a JSON object with a non-negative integer `id`, `version` and `command`, or has unknown fields.
        public static let badRequest = Code(rawValue: "bad-request")
        /// The line exceeds `ControlProtocol.maxRequestBytes`.
        public static let requestTooLarge = Code(rawValue: "request-too-large")
        /// `version` is not one this server speaks.
        public static let unsupportedVersion = Code(rawValue: "unsupported-version")
        /// `command` names no command of this version.
        public static let unknownCommand = Code(rawValue: "unknown-command")
        /// A command's argument is wrong (shutdown `method`, console-input `data`).
        public static let invalidArgument = Code(rawValue: "invalid-argument")
        /// The command does not apply in the VM's current state (e.g. anything but describe/stats while stopping).
        public static let invalidState = Code(rawValue: "invalid-state")
        /// The launch spec did not allow serial input.
        public static let consoleInputDisabled = Code(rawValue: "console-input-disabled")
        /// This VMM build does not do that yet.
        public static let notImplemented = Code(rawValue: "not-implemented")
        /// The server already serves its maximum number of connections; the connection is closed.
        public static let tooManyConnections = Code(rawValue: "too-many-connections")
        /// The VMM tried and failed (e.g. a KVM call failed); the message says which operation.
        public static let failed = Code(rawValue: "failed")
    }
}
