import Crypto
import Foundation

/// SHA-256 on a thread of its own, so an import hashes one chunk while it reads and writes the next: on two cores
/// the copy costs about max(hash, I/O) instead of their sum. Chunks are hashed in the order they are submitted.
///
/// The producer takes a buffer with `nextBuffer()`, fills it, and hands it over with `submit`; it gets the buffer
/// back (for another chunk) only after the hasher is done with it. `finish()` must be called exactly once, also on
/// error paths (it waits for the thread, which must end before the buffers are freed).
final class HashPipeline: @unchecked Sendable {
    // Sound as @unchecked Sendable: each slot (its buffer and its `items` entry) is owned by one thread at a time,
    // handed over by the semaphores: the producer writes slot i only after `free` was signalled for it, the hasher
    // reads it only after `filled` was; the semaphores order those accesses. `digest` is written before `done`.
    enum Item {
        case empty
        case bytes(Int)
        case zeros(Int64)
        case end
    }

    /// Buffers in flight: one being filled and written, the others waiting for or in the hasher.
    static let depth = 3
    /// Holes are hashed from this many zero bytes at a time.
    static let zeroSize = 1 << 20
    let bufferSize: Int
    private let buffers: [UnsafeMutableRawBufferPointer]
    private let zeros: UnsafeMutableRawBufferPointer
    private var items: [Item]
    private let free = DispatchSemaphore(value: HashPipeline.depth)
    private let filled = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    private var produced = 0
    private var digest = ""
    private var finished = false

    init(bufferSize: Int, alignment: Int) {
        self.bufferSize = bufferSize
        buffers = (0..<Self.depth).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: alignment) }
        zeros = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.zeroSize, alignment: alignment)
        zeros.initializeMemory(as: UInt8.self, repeating: 0)
        items = Array(repeating: .empty, count: Self.depth)
        Thread.detachNewThread { [self] in hashLoop() }
    }

    deinit {
        for buffer in buffers { buffer.deallocate() }
        zeros.deallocate()
    }

    /// A buffer the producer may fill; waits while all of them are being hashed.
    func nextBuffer() -> UnsafeMutableRawBufferPointer {
        free.wait()
        return buffers[produced % Self.depth]
    }

    /// Hands the buffer from the last `nextBuffer()` to the hasher, holding `count` bytes.
    func submit(count: Int) {
        items[produced % Self.depth] = .bytes(count)
        produced += 1
        filled.signal()
    }

    /// Hashes `count` zero bytes (a hole) without a buffer from the producer.
    func submitZeros(_ count: Int64) {
        free.wait()
        items[produced % Self.depth] = .zeros(count)
        produced += 1
        filled.signal()
    }

    /// Waits for every chunk to be hashed; returns the digest, 64 lowercase hex digits.
    func finish() -> String {
        guard !finished else { return digest }
        finished = true
        free.wait()
        items[produced % Self.depth] = .end
        produced += 1
        filled.signal()
        done.wait()
        return digest
    }

    private func hashLoop() {
        var hasher = SHA256()
        var consumed = 0
        while true {
            filled.wait()
            let slot = consumed % Self.depth
            consumed += 1
            switch items[slot] {
            case .bytes(let count):
                hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffers[slot][0..<count]))
            case .zeros(var count):
                while count > 0 {
                    let n = Int(min(count, Int64(Self.zeroSize)))
                    hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: zeros[0..<n]))
                    count -= Int64(n)
                }
            case .end:
                digest = HashingCopier.hexDigest(hasher.finalize())
                free.signal()   // libdispatch traps when a semaphore is freed below its initial value
                done.signal()
                return
            case .empty:
                break
            }
            free.signal()
        }
    }
}
