import VMCtlModel

/// What `qemu-img info` says about an image, as far as the store needs it.
public struct ImageToolInfo: Sendable, Equatable {
    /// The format the tool opened it as (always the one it was told: formats are never probed).
    public var format: String
    public var virtualSize: UInt64
    /// Bytes allocated on the host.
    public var actualSize: UInt64?
    /// `backing-filename` as written in the image, and `full-backing-filename` as the tool resolved it.
    public var backingFile: String?
    public var fullBackingFile: String?
    public var backingFormat: String?
    /// `format-specific.data.data-file`: a qcow2 external data file.
    public var dataFile: String?
    public var encrypted: Bool

    public init(format: String, virtualSize: UInt64, actualSize: UInt64? = nil, backingFile: String? = nil,
                fullBackingFile: String? = nil, backingFormat: String? = nil, dataFile: String? = nil, encrypted: Bool = false) {
        self.format = format
        self.virtualSize = virtualSize
        self.actualSize = actualSize
        self.backingFile = backingFile
        self.fullBackingFile = fullBackingFile
        self.backingFormat = backingFormat
        self.dataFile = dataFile
        self.encrypted = encrypted
    }
}

/// The image operations the store delegates to a tool (`qemu-img`): every call names the format explicitly.
public protocol ImageTool: Sendable {
    /// `qemu-img info --output=json -U -f FORMAT PATH`.
    func info(path: String, format: ImageFormat) throws -> ImageToolInfo
    /// `qemu-img create -f qcow2 -o backing_file=BASE,backing_fmt=FORMAT PATH BYTES`.
    func createOverlay(path: String, backingFile: String, backingFormat: ImageFormat, size: UInt64) throws
    /// `qemu-img resize -f FORMAT PATH BYTES`.
    func resize(path: String, format: ImageFormat, to size: UInt64) throws
}
