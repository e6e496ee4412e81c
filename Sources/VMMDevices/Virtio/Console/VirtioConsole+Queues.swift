extension VirtioConsole {
    /// Fills port `port`'s receive buffers from its pending input, one chain at a time, while there is input.
    /// A generic port gets none while the guest has it closed (Linux would discard it).
    func deliverInput(port: Int) {
        guard port == 0 || isMultiport && ports[port].guestOpen else { return }
        guard let queue = queue(Self.receiveQueue(port: port)), let memory, let interrupt else { return }
        do throws(VirtqueueError) {
            let wanted = try queue.fillAvailable(while: { !ports[port].pending.isEmpty }, invalid: { stats.invalidChains += 1 }) { chain in
                let count = write(ports[port].pending, into: chain, memory: memory)
                ports[port].pending.removeFirst(count)
                stats.bytesIn += UInt64(count)
                return UInt32(count)
            }
            if wanted { interrupt.usedBuffer() }
        } catch {
            broke(error)
        }
    }

    /// Copies a prefix of `bytes` into the chain's writable buffers; returns its length (≤ bytes.count, which
    /// callers keep ≤ inputLimit or a control message's size).
    func write(_ bytes: [UInt8], into chain: DescriptorChain, memory: any GuestMemory) -> Int {
        var copied = 0
        for buffer in chain.writable where copied < bytes.count {
            let count = min(Int(min(UInt64(buffer.length), UInt64(bytes.count))), bytes.count - copied)
            do throws(GuestMemoryError) {
                try memory.writeBytes(buffer.address, Array(bytes[copied..<copied + count]))
            } catch {
                break
            }
            copied += count
        }
        return copied
    }

    /// Sends every transmit chain's readable bytes on port `port` to its `output`, in pieces of at most `chunkSize`.
    func drainOutput(port: Int) {
        guard let queue = queue(Self.receiveQueue(port: port) + 1), let memory, let interrupt else { return }
        let output = ports[port].output
        do throws(VirtqueueError) {
            let wanted = try queue.processAvailable(invalid: { _ in stats.invalidChains += 1 }) { chain in
                send(chain, to: output, memory: memory)
                return 0
            }
            if wanted { interrupt.usedBuffer() }
        } catch {
            broke(error)
        }
    }

    private func send(_ chain: DescriptorChain, to output: any VirtioConsoleOutput, memory: any GuestMemory) {
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
