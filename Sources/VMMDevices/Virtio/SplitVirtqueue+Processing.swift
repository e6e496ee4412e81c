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

    /// The receive side (device → driver): while `wanted()` says the device has something for the driver, takes the
    /// next chain and lets `fill` write into it and return the used length; invalid chains go back empty after
    /// `invalid` has seen them. Re-arms kicks before giving up, or a buffer posted meanwhile would wait for a kick
    /// that never comes. Returns whether the driver wants an interrupt; throws the NEEDS_RESET errors.
    public func fillAvailable(while wanted: () -> Bool, invalid: () -> Void,
                              _ fill: (DescriptorChain) -> UInt32) throws(VirtqueueError) -> Bool {
        var used = false
        while wanted() {
            switch try pop() {
            case .empty:
                if try enableNotification() { continue }
            case .failed(let head, _):
                invalid()
                try addUsed(head: head, length: 0)
                used = true
                continue
            case .chain(let chain):
                try addUsed(head: chain.head, length: fill(chain))
                used = true
                continue
            }
            break
        }
        guard used else { return false }
        return try needsNotification()
    }
}

