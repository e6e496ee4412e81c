extension VirtioNet {
    /// A transmit chain's frame, or why it is dropped.
    enum TransmitCheck: Equatable {
        case frame([UInt8])
        case drop(VirtioNetDrop)
    }

    /// Sends every transmit chain's frame to `output`. Every chain goes back with used length 0 (the device writes
    /// nothing into a transmit chain), valid or not.
    func transmit() {
        guard let queue = queue(Self.transmitQueue), let memory, let interrupt else { return }
        do throws(VirtqueueError) {
            let wanted = try queue.processAvailable(invalid: { _ in stats.invalidChains += 1 }) { chain in
                send(chain, memory: memory)
                return 0
            }
            if wanted { interrupt.usedBuffer() }
        } catch {
            broke(error)
        }
    }

    private func send(_ chain: DescriptorChain, memory: any GuestMemory) {
        let checked: TransmitCheck
        do throws(GuestMemoryError) {
            checked = try Self.transmitFrame(chain, memory: memory)
        } catch {
            stats.invalidChains += 1  // a validated buffer became unreadable: treat the chain as malformed
            return
        }
        let frame: [UInt8]
        switch checked {
        case .frame(let bytes): frame = bytes
        case .drop(let reason):
            stats.drop(reason)
            return
        }
        switch output.send(frame) {
        case .sent:
            stats.framesOut += 1
            stats.bytesOut += UInt64(frame.count)
        case .busy: stats.drop(.txBackendBusy)
        case .down: stats.drop(.txBackendDown)
        }
    }

    /// The Ethernet frame of a transmit chain (its readable bytes after the header), or why it must be dropped.
    /// The header is checked before the frame's size; only a frame that passes is copied out of guest memory.
    static func transmitFrame(_ chain: DescriptorChain,
                              memory: any GuestMemory) throws(GuestMemoryError) -> TransmitCheck {
        guard chain.writable.isEmpty else { return .drop(.txWritableBuffers) }
        let headerLength = UInt64(VirtioNetHeader.length)
        let total = chain.readableLength
        guard total >= headerLength else { return .drop(.txHeaderTooShort) }
        let header = try read(chain.readable, from: 0, count: headerLength, memory: memory)
        if let problem = VirtioNetHeader(parsing: header).transmitProblem { return .drop(problem) }
        let frameLength = total - headerLength
        guard frameLength >= UInt64(minFrame) else { return .drop(.txUndersize) }
        guard frameLength <= UInt64(maxFrame) else { return .drop(.txOversize) }
        return .frame(try read(chain.readable, from: headerLength, count: frameLength, memory: memory))
    }

    /// Bytes [offset, offset+count) of validated buffers at least offset+count long; count ≤ header + maxFrame.
    private static func read(_ buffers: ArraySlice<VirtqueueBuffer>, from offset: UInt64, count: UInt64,
                             memory: any GuestMemory) throws(GuestMemoryError) -> [UInt8] {
        guard let spans = buffers.spans(from: offset, count: count) else {
            throw .outOfBounds(address: 0, length: offset + count)  // the caller checked the length; never taken
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(count))
        for span in spans {
            bytes += try memory.readBytes(span.address, count: Int(span.length))
        }
        return bytes
    }
}
