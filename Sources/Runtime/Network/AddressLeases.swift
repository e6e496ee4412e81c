import Foundation
import VMCtlModel

/// Addresses of NICs without a static `ip`: allocated once, lowest free first, and kept in `leases.json`, so
/// adding or removing other VMs never renumbers a running one.
struct AddressLeases {
    let paths: NetworkPaths
    /// VMs of one wave start and stop on parallel threads: each read-modify-write of a leases file is atomic.
    private static let lock = NSLock()

    /// The lease key of one NIC: `web-0/1` is web-0's second NIC.
    static func key(vm: String, nic: Int) -> String { "\(vm)/\(nic)" }

    func address(for key: String, in spec: NetworkSpec, reserved: Set<IPv4Address>) throws -> IPv4Address {
        try Self.lock.withLock { try allocate(key, in: spec, reserved: reserved) }
    }

    private func allocate(_ key: String, in spec: NetworkSpec, reserved: Set<IPv4Address>) throws -> IPv4Address {
        var leases = (try? AtomicFile.readJSON([String: IPv4Address].self, from: paths.leases)) ?? [:]
        // A lease that another NIC now claims as its static `ip` is given up for a free address.
        if let existing = leases[key], !reserved.contains(existing) { return existing }
        leases[key] = nil
        let taken = Set(leases.values).union(reserved).union([spec.gateway])
        var candidate = spec.subnet.firstHost
        while candidate.value <= spec.subnet.lastHost.value {
            if !taken.contains(candidate) {
                leases[key] = candidate
                try AtomicFile.makeDirectory(paths.directory)
                try AtomicFile.writeJSON(leases, to: paths.leases)
                return candidate
            }
            candidate = IPv4Address(candidate.value + 1)
        }
        throw RuntimeError.vm(name: key, operation: "allocate an address", reason: "the subnet \(spec.subnet) has no free address left")
    }

    /// Records a static address under its NIC's key, so the /etc/hosts of every VM on the network lists it,
    /// also before the VM that has it was ever started (VMs of one wave boot side by side).
    func pin(_ key: String, to address: IPv4Address) throws {
        Self.lock.lock()
        defer { Self.lock.unlock() }
        var leases = (try? AtomicFile.readJSON([String: IPv4Address].self, from: paths.leases)) ?? [:]
        guard leases[key] != address else { return }
        leases[key] = address
        try AtomicFile.makeDirectory(paths.directory)
        try AtomicFile.writeJSON(leases, to: paths.leases)
    }

    /// Forgets the leases of a VM that is deleted.
    func release(vm: String) throws {
        Self.lock.lock()
        defer { Self.lock.unlock() }
        guard var leases = try AtomicFile.readJSON([String: IPv4Address].self, from: paths.leases) else { return }
        leases = leases.filter { !$0.key.hasPrefix(vm + "/") }
        try AtomicFile.writeJSON(leases, to: paths.leases)
    }

    func all() -> [String: IPv4Address] {
        (try? AtomicFile.readJSON([String: IPv4Address].self, from: paths.leases)) ?? [:]
    }
}

enum StableMAC {
    /// A locally administered unicast MAC derived from the stack, VM and NIC index (FNV-1a), so it never
    /// changes across restarts and replaces: 52:54:00 is QEMU's prefix, the rest comes from the hash.
    static func derive(stack: String, vm: String, nic: Int) -> MACAddress {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(stack)/\(vm)/\(nic)".utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return MACAddress(octets: [0x52, 0x54, 0x00, UInt8(hash >> 16 & 0xFF), UInt8(hash >> 8 & 0xFF), UInt8(hash & 0xFF)])
    }
}
