extension VirtioNet {
    /// Host frames for the guest (from the backend's reader). Each is checked, queued (bounded) and delivered as far
    /// as the guest has posted receive buffers; frames the device cannot take are dropped and counted.
    /// Returns how many were queued or delivered.
    @discardableResult
    public func receive(_ frames: [[UInt8]]) -> Int {
        var accepted = 0
        for frame in frames {
            if frame.count < Self.minFrame {
                stats.drop(.rxUndersize)
            } else if frame.count > Self.maxFrame {
                stats.drop(.rxOversize)
            } else if !isActive {
                stats.drop(.rxNotReady)
            } else {
                // A full queue may only need the buffers the guest has already posted.
                if pending.count >= pendingLimit { deliverPending() }
                if pending.count >= pendingLimit {
                    stats.drop(.rxQueueFull)
                } else {
                    pending.append(frame)
                    accepted += 1
                }
            }
        }
        if accepted > 0 { deliverPending() }
        return accepted
    }

    @discardableResult
    public func receive(_ frame: [UInt8]) -> Bool { receive([frame]) == 1 }

    /// Moves waiting frames into guest receive chains, oldest first, one frame per chain.
    func deliverPending() {
        guard let queue = queue(Self.receiveQueue), let memory, let interrupt else { return }
        do throws(VirtqueueError) {
            var delivered = 0
            defer { pending.removeFirst(delivered) }
            let wanted = try queue.fillAvailable(while: { delivered < pending.count }, invalid: { stats.invalidChains += 1 }) { chain in
                let outcome = place(pending[delivered], in: chain, memory: memory)
                if outcome.consumedFrame { delivered += 1 }
                return outcome.usedLength
            }
            if wanted { interrupt.usedBuffer() }
        } catch {
            broke(error)
        }
    }

    /// What writing one frame into one chain did: the used length, and whether the frame is done with
    /// (delivered or dropped) or should wait for the next chain.
    private struct Placement {
        var usedLength: UInt32
        var consumedFrame: Bool
    }

    private func place(_ frame: [UInt8], in chain: DescriptorChain, memory: any GuestMemory) -> Placement {
        guard chain.readable.isEmpty else {
            // Not a receive chain: return it unused and keep the frame for the next one.
            stats.invalidChains += 1
            return Placement(usedLength: 0, consumedFrame: false)
        }
        let bytes = VirtioNetHeader.received.bytes + frame
        guard let spans = chain.writable.spans(from: 0, count: UInt64(bytes.count)) else {
            stats.drop(.rxBufferTooSmall)
            return Placement(usedLength: 0, consumedFrame: true)
        }
        var written = 0
        for span in spans {
            // span.length ≤ bytes.count - written: spans cover exactly bytes.count bytes.
            let count = Int(span.length)
            guard (try? memory.writeBytes(span.address, Array(bytes[written..<written + count]))) != nil else {
                stats.invalidChains += 1  // a validated buffer became unwritable: treat the chain as malformed
                return Placement(usedLength: 0, consumedFrame: false)
            }
            written += count
        }
        stats.framesIn += 1
        stats.bytesIn += UInt64(frame.count)
        return Placement(usedLength: UInt32(bytes.count), consumedFrame: true)
    }
}
