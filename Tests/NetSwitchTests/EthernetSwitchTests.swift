import NetSwitch
import Testing

@Suite("Ethernet switch")
struct EthernetSwitchTests {
    static func frame(to destination: [UInt8], from source: [UInt8], payload: UInt8 = 0) -> [UInt8] {
        destination + source + [0x08, 0x00] + [UInt8](repeating: payload, count: 46)
    }

    let a: [UInt8] = [0x52, 0x54, 0, 0, 0, 1]
    let b: [UInt8] = [0x52, 0x54, 0, 0, 0, 2]
    let broadcast: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]

    @Test("unknown destinations and broadcasts flood to every other port; learned ones go to one port")
    func learningAndFlooding() {
        var sw = EthernetSwitch()
        for port in 1...3 { sw.connect(port) }
        #expect(sw.forward(Self.frame(to: broadcast, from: a), from: 1, now: 0) == [2, 3])   // learns a on 1
        #expect(sw.forward(Self.frame(to: a, from: b), from: 2, now: 0) == [1])               // learns b on 2
        #expect(sw.forward(Self.frame(to: b, from: a), from: 1, now: 0) == [2])
        #expect(sw.learnedPort(of: 0x5254_0000_0001) == 1)
        #expect(sw.learnedCount == 2)
    }

    @Test("multicast floods; a frame never returns to its port; runts are dropped")
    func multicastAndRunts() {
        var sw = EthernetSwitch()
        for port in 1...2 { sw.connect(port) }
        let multicast: [UInt8] = [0x01, 0x00, 0x5E, 0, 0, 1]
        #expect(sw.forward(Self.frame(to: multicast, from: a), from: 1, now: 0) == [2])
        _ = sw.forward(Self.frame(to: broadcast, from: b), from: 2, now: 0)
        #expect(sw.forward(Self.frame(to: b, from: b), from: 2, now: 0) == [])
        #expect(sw.forward([1, 2, 3], from: 1, now: 0) == [])
    }

    @Test("a disconnected port is forgotten and learned entries expire")
    func disconnectAndAging() {
        var sw = EthernetSwitch()
        for port in 1...3 { sw.connect(port) }
        _ = sw.forward(Self.frame(to: broadcast, from: a), from: 1, now: 0)
        sw.disconnect(1)
        #expect(sw.forward(Self.frame(to: a, from: b), from: 2, now: 1) == [3])
        _ = sw.forward(Self.frame(to: broadcast, from: a), from: 3, now: 10)
        #expect(sw.forward(Self.frame(to: a, from: b), from: 2, now: 10 + EthernetSwitch.maxAge + 1) == [3])
    }

    @Test("stream framing: length prefixes, split reads, oversize frames refused")
    func framing() throws {
        var decoder = FrameDecoder()
        let encoded = FrameDecoder.encode([1, 2, 3]) + FrameDecoder.encode([4])
        #expect(try decoder.feed(encoded[0..<5]) == [])
        #expect(try decoder.feed(encoded[5...]) == [[1, 2, 3], [4]])
        #expect(throws: FrameDecoder.Failure.oversize(0x0100_0000)) { try decoder.feed([1, 0, 0, 0][...]) }
    }
}
