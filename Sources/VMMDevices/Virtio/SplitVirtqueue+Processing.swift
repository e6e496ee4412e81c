extension SplitVirtqueue {
    /// The device loop: pops every available chain and hands each valid one to `handle`, which returns the used
    /// length; invalid chains go back with length 0 (after `invalid` has seen the error). With EVENT_IDX it then
    /// re-arms kicks and picks up chains that arrived meanwhile. Returns whether the driver wants an interrupt.
    /// Throws the errors whose outcome is NEEDS_RESET. Each pass is bounded by the queue size.
    public func processAvailable(invalid: (VirtqueueError) -> Void = { _ in },
                                 _ handle: (DescriptorChain) -> UInt32) throws(VirtqueueError) -> Bool {
        repeat {
            while true {
                switch try pop() {
                case .empty:
                    break
                case .failed(let head, let error):
                    invalid(error)
                    try addUsed(head: head, length: 0)
                    continue
                case .chain(let chain):
                    try addUsed(head: chain.head, length: handle(chain))
                    continue
                }
                break
            }
        } while try enableNotification()
        return try needsNotification()
    }
}
