extension VirtioBlock {
    /// Runs one request and returns the used length (bytes written into guest buffers, status included).
    func handle(_ chain: DescriptorChain, memory: any GuestMemory) -> UInt32 {
        let request: VirtioBlockRequest
        do throws(VirtioBlockError) {
            request = try VirtioBlockRequest.parse(chain, memory: memory)
        } catch {
            return fail(error, chain: chain, memory: memory)
        }
        do throws(VirtioBlockError) {
            let written = try execute(request, memory: memory)
            try writeStatus(VirtioBlockError.statusOK, at: request.status, memory: memory)
            stats.completed += 1
            // written ≤ the chain's writable length, which the queue keeps below 2^32.
            return UInt32(truncatingIfNeeded: written + 1)
        } catch {
            return fail(error, chain: chain, memory: memory)
        }
    }

    private func fail(_ error: VirtioBlockError, chain: DescriptorChain, memory: any GuestMemory) -> UInt32 {
        stats.failedRequests += 1
        guard let code = error.status, let status = try? VirtioBlockRequest.statusAddress(of: chain),
              (try? writeStatus(code, at: status, memory: memory)) != nil else { return 0 }
        return 1
    }

    private func writeStatus(_ code: UInt8, at address: GuestAddress, memory: any GuestMemory) throws(VirtioBlockError) {
        do throws(GuestMemoryError) { try memory.writeInteger(address, code) } catch { throw .guestMemory }
    }

    /// Returns the data bytes written into guest memory.
    private func execute(_ request: VirtioBlockRequest, memory: any GuestMemory) throws(VirtioBlockError) -> UInt64 {
        switch request.kind {
        case .read(let sector):
            let offset = try checkedOffset(sector: sector, length: request.dataLength)
            try transfer(request.data, memory: memory, toGuest: true, diskOffset: offset)
            stats.bytesRead += request.dataLength
            return request.dataLength
        case .write(let sector):
            guard !readOnly else { throw .readOnly }
            let offset = try checkedOffset(sector: sector, length: request.dataLength)
            try transfer(request.data, memory: memory, toGuest: false, diskOffset: offset)
            stats.bytesWritten += request.dataLength
            return 0
        case .flush:
            do throws(BlockBackendError) { try backend.flush() } catch { throw .backend(error) }
            stats.flushes += 1
            return 0
        case .getID:
            var written = 0
            for span in request.data where written < serial.count {
                let count = min(Int(min(span.length, UInt64(serial.count))), serial.count - written)
                do throws(GuestMemoryError) {
                    try memory.writeBytes(span.address, Array(serial[written..<written + count]))
                } catch {
                    throw .guestMemory
                }
                written += count
            }
            return UInt64(written)
        }
    }

    /// The byte offset of `sector`, after checking [sector, sector + length/512) is inside the disk.
    private func checkedOffset(sector: UInt64, length: UInt64) throws(VirtioBlockError) -> UInt64 {
        let sectorSize = VirtioBlockRequest.sectorSize
        guard length % sectorSize == 0 else { throw .lengthNotSectorMultiple(length) }
        guard sector <= capacity, length / sectorSize <= capacity - sector else {
            throw .beyondCapacity(sector: sector, length: length, capacity: capacity)
        }
        return sector * sectorSize  // sector ≤ capacity = size/512, so this cannot overflow
    }

    /// Moves data between the disk and guest spans through one bounce buffer of at most `chunkSize` bytes.
    private func transfer(_ spans: [GuestSpan], memory: any GuestMemory, toGuest: Bool,
                          diskOffset: UInt64) throws(VirtioBlockError) {
        let total = spans.reduce(0) { $0 + $1.length }
        var bounce = [UInt8](repeating: 0, count: Int(min(total, UInt64(Self.chunkSize))))
        var disk = diskOffset
        for span in spans {
            var done: UInt64 = 0
            while done < span.length {
                let step = Int(min(span.length - done, UInt64(bounce.count)))
                let guest = GuestAddress(span.address.value + done)  // inside a validated buffer
                var failure: VirtioBlockError?
                bounce.withUnsafeMutableBytes { whole in
                    // step ≤ bounce.count, so the slice stays inside the buffer for the duration of the closure.
                    let buffer = UnsafeMutableRawBufferPointer(rebasing: whole[0..<step])
                    do throws(VirtioBlockError) {
                        try move(buffer, guest: guest, disk: disk, memory: memory, toGuest: toGuest)
                    } catch {
                        failure = error
                    }
                }
                if let failure { throw failure }
                done += UInt64(step)
                disk += UInt64(step)
            }
        }
    }

    /// `buffer` is the bounce slice `transfer` lends for this call only; nothing keeps it.
    private func move(_ buffer: UnsafeMutableRawBufferPointer, guest: GuestAddress, disk: UInt64,
                      memory: any GuestMemory, toGuest: Bool) throws(VirtioBlockError) {
        if toGuest {
            do throws(BlockBackendError) { try backend.read(at: disk, into: buffer) } catch { throw .backend(error) }
            do throws(GuestMemoryError) { try memory.write(guest, from: UnsafeRawBufferPointer(buffer)) } catch { throw .guestMemory }
        } else {
            do throws(GuestMemoryError) { try memory.read(guest, into: buffer) } catch { throw .guestMemory }
            do throws(BlockBackendError) { try backend.write(at: disk, from: UnsafeRawBufferPointer(buffer)) } catch { throw .backend(error) }
        }
    }
}
