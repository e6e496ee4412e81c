/// A kernel placed in guest memory: where to enter it and which memory it will claim while starting.
public struct LoadedKernel: Equatable, Sendable {
    public enum Format: Equatable, Sendable {
        /// A bzImage entered through the 64-bit boot protocol; its setup header seeds boot_params.
        case bzImage(SetupHeader)
        /// An ELF vmlinux entered at its ELF entry point; boot_params gets a synthetic header.
        case elf
    }

    public var format: Format
    /// The 64-bit entry point (RIP), with RSI = the zero page.
    public var entry: GuestAddress
    /// Where the image bytes were copied: [loadAddress, loadAddress + loadSize).
    public var loadAddress: GuestAddress
    public var loadSize: UInt64
    /// The end of the memory the kernel uses while it starts (load image, decompression window, bss):
    /// the initrd and anything else the VMM places must start at or above it.
    public var reservedEnd: UInt64

    public var setupHeader: SetupHeader? {
        if case let .bzImage(header) = format { return header }
        return nil
    }

    public init(format: Format, entry: GuestAddress, loadAddress: GuestAddress, loadSize: UInt64, reservedEnd: UInt64) {
        self.format = format
        self.entry = entry
        self.loadAddress = loadAddress
        self.loadSize = loadSize
        self.reservedEnd = reservedEnd
    }

    /// Loads an ELF vmlinux, or a bzImage when the file is not ELF (Firecracker's order).
    public static func load(_ image: [UInt8], into memory: any GuestMemory) throws(BootError) -> LoadedKernel {
        if ElfKernel.isELF(image) { return try ElfKernel(image: image).load(into: memory) }
        return try BzImage(image: image).load(into: memory)
    }
}

extension GuestMemory {
    /// Copies `bytes[range]` to `address`, naming `what` if it does not fit.
    func copy(_ bytes: [UInt8], _ range: Range<Int>, to address: GuestAddress, what: String) throws(BootError) {
        var failure: GuestMemoryError?
        bytes.withUnsafeBytes { raw in
            // `range` lies inside `bytes` (callers check it against the file size first).
            do throws(GuestMemoryError) { try write(address, from: UnsafeRawBufferPointer(rebasing: raw[range])) } catch { failure = error }
        }
        if failure != nil {
            throw .doesNotFitInGuestMemory(what: what, address: address.value, size: UInt64(range.count))
        }
    }

    /// Writes `count` zero bytes at `address` (ELF bss), in chunks so a large bss needs no large buffer.
    func zero(_ address: GuestAddress, count: UInt64, what: String) throws(BootError) {
        let chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var done: UInt64 = 0
        while done < count {
            let length = Int(min(UInt64(chunk.count), count - done))
            guard let target = address.adding(done) else {
                throw .doesNotFitInGuestMemory(what: what, address: address.value, size: count)
            }
            do { try copy(chunk, 0..<length, to: target, what: what) } catch {
                throw .doesNotFitInGuestMemory(what: what, address: address.value, size: count)
            }
            done += UInt64(length)
        }
    }
}
