extension VirtioConsole {
    /// Fills guest receive buffers from `pending`, one chain at a time, while there is input.
    func deliverInput() {
        guard let queue = queue(Self.receiveQueue), let memory, let interrupt else { return }
        do throws(VirtqueueError) {
            var delivered = false
            while !pending.isEmpty {
                switch try queue.pop() {
                case .empty:
                    // Re-arm before giving up, or a buffer posted meanwhile would wait for the next kick.
                    if try queue.enableNotification() { continue }
                case .failed(let head, _):
                    stats.invalidChains += 1
                    try queue.addUsed(head: head, length: 0)
                    delivered = true
                    continue
                case .chain(let chain):
                    let count = fill(chain, memory: memory)
                    try queue.addUsed(head: chain.head, length: UInt32(count))
                    delivered = true
                    continue
                }
                break
            }
            if delivered, try queue.needsNotification() { interrupt.usedBuffer() }
        } catch {
            broke(error)
        }
    }

    /// Copies pending bytes into the chain's writable buffers; returns the count (≤ pending.count ≤ inputLimit).
    private func fill(_ chain: DescriptorChain, memory: any GuestMemory) -> Int {
        var copied = 0
        for buffer in chain.writable where copied < pending.count {
            let count = min(Int(min(UInt64(buffer.length), UInt64(pending.count))), pending.count - copied)
            do throws(GuestMemoryError) {
                try memory.writeBytes(buffer.address, Array(pending[copied..<copied + count]))
            } catch {
                break
            }
            copied += count
        }
        pending.removeFirst(copied)
        stats.bytesIn += UInt64(copied)
        return copied
    }

    /// Sends every transmit chain's readable bytes to `output`, in pieces of at most `chunkSize`.
    func drainOutput() {
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
        for buffer in chain.readable {
            var done: UInt64 = 0
            while done < UInt64(buffer.length) {
                let step = min(UInt64(buffer.length) - done, UInt64(Self.chunkSize))
                // Inside a validated buffer: no overflow, and the read cannot fail unless memory changed.
                guard let bytes = try? memory.readBytes(GuestAddress(buffer.address.value + done), count: Int(step)) else {
                    return
                }
                output.write(bytes)
                stats.bytesOut += step
                done += step
            }
        }
    }
}
