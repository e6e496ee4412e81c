import Crypto
import Foundation

/// Copies a file and hashes it in one pass (reading each byte once; the hash runs on a second thread), keeping it
/// sparse: the source's holes (SEEK_HOLE) are hashed as zeros without being read, and all-zero blocks of its data are
/// hashed but not written, so they stay holes in the copy. Whole blocks go to the disk with O_DIRECT where the file
/// system allows it (`CopyDestination`), the rest through the page cache. The copy gets its full length with
/// ftruncate at the end; flushing it is the caller's (a copy of content the store already has is discarded unflushed).
struct HashingCopier {
    /// Large reads keep the per-call cost small next to hashing (about 2 ms of SHA-256 per 4 MiB with SHA-NI);
    /// 1 to 8 MiB measured the same here (bench/image-import.sh).
    static let bufferSize = 4 << 20
    /// The unit of sparseness: a block that is all zeros is not written.
    static let blockSize = 4096

    // SEEK_DATA and SEEK_HOLE (Linux); a file system without them answers EINVAL and is copied in full.
    private static let seekData: Int32 = 3
    private static let seekHole: Int32 = 4

    struct Result: Equatable {
        /// 64 lowercase hex digits.
        var digest: String
        /// Bytes actually written (data blocks that were not all zeros).
        var bytesWritten: UInt64
    }

    /// Copies the first `length` bytes of `source` to `destination` (an empty file), hashing on `HashPipeline`'s thread.
    /// `progress` gets the bytes done so far (holes included) after each chunk and each hole.
    /// `direct`: write whole blocks with O_DIRECT where the file system takes it (`CopyDestination`).
    static func copy(from source: FileDescriptor, length: Int64, to file: FileDescriptor, direct: Bool = true,
                     progress: (Int64) -> Void = { _ in }) throws -> Result {
        var destination = CopyDestination(file, direct: direct)
        let pipeline = HashPipeline(bufferSize: bufferSize, alignment: blockSize)
        // The hasher's thread must be done with the buffers before they are freed, whatever happens here.
        defer { _ = pipeline.finish() }
        let zeroBlock = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: blockSize)
        defer { zeroBlock.deallocate() }
        zeroBlock.initializeMemory(as: UInt8.self, repeating: 0)
        var written: UInt64 = 0
        var offset: Int64 = 0
        while offset < length {
            let (dataStart, dataEnd) = try nextExtent(in: source, from: offset, length: length)
            // A hole: zeros, hashed without being read.
            if dataStart > offset {
                pipeline.submitZeros(dataStart - offset)
                progress(dataStart)
            }
            offset = dataStart
            while offset < dataEnd {
                let buffer = pipeline.nextBuffer()
                let n: Int
                do { n = try readChunk(source, into: buffer, count: Int(min(dataEnd - offset, Int64(bufferSize))), at: offset) } catch {
                    pipeline.submit(count: 0)
                    throw error
                }
                let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
                pipeline.submit(count: n)
                // The hasher only reads the chunk too; the buffer comes back through nextBuffer() once it is done.
                written += try writeNonZeroRuns(chunk, at: offset, to: &destination, zeros: UnsafeRawBufferPointer(zeroBlock))
                offset += Int64(n)
                progress(offset)
            }
        }
        guard ftruncate(file.fd, off_t(length)) == 0 else {
            throw ImageError.io(operation: "set the length of", path: file.path, code: errno)
        }
        return Result(digest: pipeline.finish(), bytesWritten: written)
    }

    static func hexDigest<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The next data extent at or after `offset`: [start, end). Where the file system cannot tell, all of it is data.
    private static func nextExtent(in file: FileDescriptor, from offset: Int64, length: Int64) throws -> (Int64, Int64) {
        let data = lseek(file.fd, off_t(offset), seekData)
        if data < 0 {
            if errno == ENXIO {   // nothing but a hole up to the end of the file: is that still `length`?
                guard try file.status().st_size >= length else { throw ImageError.sourceChanged(path: file.path) }
                return (length, length)
            }
            if errno == EINVAL || errno == EOPNOTSUPP { return (offset, length) }
            throw ImageError.io(operation: "find the data in", path: file.path, code: errno)
        }
        let start = min(Int64(data), length)
        let hole = lseek(file.fd, off_t(start), seekHole)
        let end = hole < 0 ? length : min(Int64(hole), length)
        // A file that shrank under us ends in a hole at its new end: reading that part then finds the change.
        return (start, max(end, min(start + 1, length)))
    }

    /// Fills `buffer` with `count` bytes from `offset`; a file shorter than promised changed while being copied.
    private static func readChunk(_ file: FileDescriptor, into buffer: UnsafeMutableRawBufferPointer, count: Int, at offset: Int64) throws -> Int {
        var done = 0
        while done < count {
            // Sound: reads into `buffer` from `done` up to `count`, and count <= buffer.count.
            let n = pread(file.fd, buffer.baseAddress.map { $0 + done }, count - done, off_t(offset) + off_t(done))
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw ImageError.io(operation: "read", path: file.path, code: errno) }
            guard n > 0 else { throw ImageError.sourceChanged(path: file.path) }
            done += n
        }
        return done
    }

    /// Writes the runs of blocks that are not all zeros; returns how many bytes it wrote.
    private static func writeNonZeroRuns(_ chunk: UnsafeRawBufferPointer, at offset: Int64, to file: inout CopyDestination,
                                         zeros: UnsafeRawBufferPointer) throws -> UInt64 {
        guard let base = chunk.baseAddress, let zero = zeros.baseAddress else { return 0 }
        var written: UInt64 = 0
        var runStart: Int?
        var position = 0
        while position < chunk.count {
            let n = min(blockSize, chunk.count - position)
            // Sound: both ranges lie inside their buffers (position + n <= chunk.count, n <= zeros.count).
            let isZero = memcmp(base + position, zero, n) == 0
            if isZero, let start = runStart {
                try file.write(UnsafeRawBufferPointer(rebasing: chunk[start..<position]), at: off_t(offset) + off_t(start))
                written += UInt64(position - start)
                runStart = nil
            } else if !isZero, runStart == nil {
                runStart = position
            }
            position += n
        }
        if let start = runStart {
            try file.write(UnsafeRawBufferPointer(rebasing: chunk[start..<chunk.count]), at: off_t(offset) + off_t(start))
            written += UInt64(chunk.count - start)
        }
        return written
    }
}
