extension VMStats {
    /// One NIC's virtio-net counters since the VMM started (device resets do not clear them). "In" is host → guest:
    /// frames delivered into the guest's receive buffers. "Out" is guest → host: frames the backend took. Bytes
    /// count Ethernet frames only, not the 12-byte virtio-net header.
    public struct Net: Codable, Equatable, Sendable {
        /// The NIC's position in the launch spec's `nets` (the guest's eth0 is 0).
        public var index: Int
        public var backend: Backend
        public var framesIn: Int
        public var bytesIn: Int
        public var framesOut: Int
        public var bytesOut: Int
        /// Chains returned unused because they were malformed, on either queue.
        public var invalidChains: Int
        /// Frames dropped, by reason (`tx-oversize`, `rx-queue-full`, …; docs/control-protocol.md lists them).
        /// Reasons that never occurred are absent.
        public var drops: [String: Int]

        public init(index: Int, backend: Backend, framesIn: Int = 0, bytesIn: Int = 0, framesOut: Int = 0, bytesOut: Int = 0,
                    invalidChains: Int = 0, drops: [String: Int] = [:]) {
            self.index = index
            self.backend = backend
            self.framesIn = framesIn
            self.bytesIn = bytesIn
            self.framesOut = framesOut
            self.bytesOut = bytesOut
            self.invalidChains = invalidChains
            self.drops = drops
        }
    }

    /// Where a NIC's frames go, as the launch spec chose. An open set: a client keeps a kind it does not know
    /// (from a newer VMM) instead of failing to decode the whole result.
    public struct Backend: RawRepresentable, Codable, Hashable, Sendable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// A connection to the network's vmctl-switch socket (`switchSocket`).
        public static let `switch` = Backend(rawValue: "switch")
        /// An existing tap interface (`tap`).
        public static let tap = Backend(rawValue: "tap")
    }
}
