extension GuestMemory {
    /// Whether [address, address+length) lies entirely inside one RAM region, without overflow.
    func coversRange(_ address: GuestAddress, length: UInt64) -> Bool {
        regions.contains { $0.contains(address, length: length) }
    }
}
