import Foundation
import Glibc
import Testing
@testable import VMM

/// A tap interface created for one test (`ip tuntap add … mode tap`, as the runtime does), deleted afterwards.
private final class TestTap {
    static let ip = "/usr/sbin/ip"
    static var unavailableReason: String? {
        if getuid() != 0 { return "creating tap interfaces needs root" }
        if access("/dev/net/tun", R_OK | W_OK) != 0 { return "/dev/net/tun is not usable" }
        if !FileManager.default.isExecutableFile(atPath: ip) { return "\(ip) is missing (iproute2)" }
        return nil
    }

    let name: String

    /// `mode` "tap" or "tun"; the name is unique per process and call, at most 15 bytes.
    init(mode: String = "tap", tag: String) throws {
        name = "xa\(tag)\(getpid() % 100_000)"
        try Self.run(["tuntap", "add", "dev", name, "mode", mode])
        try? Self.run(["link", "set", name, "up"])
        // No IPv6 router solicitations and the like mixed into what the tests read.
        try? "1".write(toFile: "/proc/sys/net/ipv6/conf/\(name)/disable_ipv6", atomically: false, encoding: .utf8)
    }

    deinit { remove() }

    func remove() { try? Self.run(["link", "delete", name]) }

    static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ip)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw VMMTestSupport.Failure(description: "ip \(arguments.joined(separator: " ")) exited \(process.terminationStatus)")
        }
    }
}

/// The host's view of a tap: an AF_PACKET socket bound to the interface, which sees the frames the VMM
/// writes into the tap and can transmit frames for the VMM to read.
private final class PacketSocket {
    let fd: Int32

    init(interface: String) throws {
        let all = UInt16(0x0003).bigEndian  // ETH_P_ALL (not exported to Swift)
        fd = socket(AF_PACKET, Int32(SOCK_RAW.rawValue), Int32(all))
        // struct sockaddr_ll (20 bytes; Glibc does not export it): family, protocol (big-endian), ifindex, rest 0.
        var address = [UInt8](repeating: 0, count: 20)
        withUnsafeBytes(of: UInt16(AF_PACKET)) { address.replaceSubrange(0..<2, with: $0) }
        withUnsafeBytes(of: all) { address.replaceSubrange(2..<4, with: $0) }
        withUnsafeBytes(of: Int32(if_nametoindex(interface))) { address.replaceSubrange(4..<8, with: $0) }
        let bound = address.withUnsafeBytes { bytes in
            bind(fd, bytes.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(bytes.count))
        }
        guard fd >= 0, bound == 0 else { throw VMMTestSupport.Failure(description: "AF_PACKET on \(interface): \(String(cString: strerror(errno)))") }
    }

    deinit { close(fd) }

    func send(_ frame: [UInt8]) -> Bool {
        frame.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) } == frame.count
    }

    /// Frames with our test EtherType seen within `timeout` (other traffic is skipped).
    func receive(count: Int, timeout: Int32 = 5000) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while frames.count < count, NetTestFrames.waitReadable(fd, timeout: timeout) {
            let got = recv(fd, &buffer, buffer.count, 0)
            guard got > 0 else { break }
            if got >= 14, buffer[12] == 0x88, buffer[13] == 0xB5 { frames.append(Array(buffer[..<got])) }
        }
        return frames
    }
}

@Suite("virtio-net tap backend (root, /dev/net/tun)", .serialized,
       .enabled(if: TestTap.unavailableReason == nil, Comment(rawValue: TestTap.unavailableReason ?? "")))
struct TapBackendTests {
    @Test("frames go both ways through an existing tap, byte for byte")
    func bothWays() throws {
        let tap = try TestTap(tag: "t")
        let backend = try TapBackend(name: tap.name, nic: "nets[0]")
        let host = try PacketSocket(interface: tap.name)
        let out = NetTestFrames.frame(length: 98, seed: 1)
        #expect(backend.send(out) == .sent)
        #expect(host.receive(count: 1) == [out])

        let inbound = NetTestFrames.frame(length: 1514, seed: 2)
        #expect(host.send(inbound))
        var frames: [[UInt8]] = []
        while !frames.contains(inbound), NetTestFrames.waitReadable(backend.fd) {
            let read = backend.readFrames(limit: 64)
            #expect(read.closed == nil)
            frames += read.frames
        }
        let ours = frames.filter { $0[12] == 0x88 && $0[13] == 0xB5 }
        #expect(ours.count == 1 && ours.first == inbound, "read \(ours.count) test frames of \(ours.map(\.count)) bytes")
        #expect(backend.readFrames(limit: 64).frames.isEmpty)  // non-blocking: nothing more, no wait
    }

    @Test("a tap already attached is busy; a missing one is not created; a tun device is refused; names over 15 bytes")
    func openErrors() throws {
        let tap = try TestTap(tag: "b")
        let first = try TapBackend(name: tap.name, nic: "nets[0]")
        _ = first
        #expect { try TapBackend(name: tap.name, nic: "nets[1]") } throws: { error in
            "\(error)" == "attach devices: nets[1]: open tap \(tap.name) (TUNSETIFF IFF_TAP|IFF_NO_PI): Device or resource busy (another process has it open)"
        }
        let missing = "xanone\(getpid() % 100_000)"
        #expect { try TapBackend(name: missing, nic: "nets[0]") } throws: { error in
            "\(error)".hasSuffix("No such device (no such interface; the runtime creates it before the VM starts)")
        }
        #expect(if_nametoindex(missing) == 0)
        let tun = try TestTap(mode: "tun", tag: "u")
        #expect { try TapBackend(name: tun.name, nic: "nets[0]") } throws: { error in "\(error)".hasSuffix("Invalid argument") }
        #expect { try TapBackend(name: "xa-0123456789abc", nic: "nets[0]") } throws: { error in "\(error)".hasSuffix("File name too long") }
    }

    @Test("the tap is deleted under the VMM: reads report it, sends fail as down, the reader stops polling")
    func deleted() throws {
        let tap = try TestTap(tag: "d")
        let backend = try TapBackend(name: tap.name, nic: "nets[0]")
        let reader = NetReader(nic: "nets[0]", backend: backend) { _ in .max }
        try reader.start()
        defer { reader.stop() }
        tap.remove()
        #expect(VMMTestSupport.eventually(within: .seconds(5)) { backend.send(NetTestFrames.frame()) == .down })
        Thread.sleep(forTimeInterval: 0.1)
        let settled = reader.wakeups.load(ordering: .relaxed)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(reader.wakeups.load(ordering: .relaxed) == settled, "the reader keeps waking up on a deleted tap")
    }
}
