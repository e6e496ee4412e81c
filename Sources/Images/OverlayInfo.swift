import VMCtlModel

/// A VM's qcow2 overlay as `qemu-img info` sees it.
public struct OverlayInfo: Hashable, Sendable {
    /// The disk size the guest sees.
    public var virtualSize: ByteSize
    /// Bytes allocated on the host: what the VM has written so far, plus qcow2 metadata.
    public var actualSize: ByteSize
    /// The base it reads unwritten clusters from (as recorded in the overlay), and that base's format.
    public var backingFile: String?
    public var backingFormat: ImageFormat?

    public init(virtualSize: ByteSize, actualSize: ByteSize, backingFile: String?, backingFormat: ImageFormat?) {
        self.virtualSize = virtualSize
        self.actualSize = actualSize
        self.backingFile = backingFile
        self.backingFormat = backingFormat
    }
}
