import VMMDevices

extension SerializedDevice {
    /// Runs `body` on the virtio-net device behind this transport, under the transport's lock; nil when this
    /// is not a virtio-net transport.
    func withVirtioNet<Result: Sendable>(_ body: (VirtioNet) -> Result) -> Result? {
        withDevice { device in
            guard let net = (device as? VirtioMMIOTransport)?.device as? VirtioNet else { return nil }
            return body(net)
        }
    }
}
