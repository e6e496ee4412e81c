import Foundation

/// Supplies the default guest from `<state-dir>/guest`, building it on first use (cached by content hash).
public final class DefaultGuestProvider: GuestProvider, @unchecked Sendable {
    let cacheDirectory: String
    private let lock = NSLock()
    private var built: GuestImage?

    public init(stateDirectory: StateDirectory) {
        cacheDirectory = stateDirectory.path + "/guest"
    }

    public func defaultGuest() throws -> GuestImage {
        try lock.withLock {
            if let built { return built }
            let guest = try GuestBuilder.build(cacheDirectory: cacheDirectory).guest
            let kind = guest.kernelKind == .micro ? "micro" : "debian"
            let image = GuestImage(kernel: guest.kernel, initrd: guest.initrd, readinessMarker: guest.readinessMarker,
                                   kernelDescription: "\(kind) \(guest.kernelVersion)") { config in
                try guest.cmdline(hostname: config.hostname, nics: config.nics,
                                  mounts: config.mounts.map { GuestMount(device: $0.device, mountPoint: $0.mountPoint, readOnly: $0.readOnly) },
                                  hosts: config.hosts)
            }
            built = image
            return image
        }
    }
}
