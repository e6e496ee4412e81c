import Testing
import VMCtlModel

@Suite("IPv4, subnets and MAC addresses")
struct AddressTests {
    @Test("strict IPv4 parsing")
    func ipv4() {
        #expect(IPv4Address("10.20.0.10")?.value == 0x0A14_000A)
        #expect(IPv4Address("255.255.255.255")?.value == UInt32.max)
        for bad in ["10.0.0", "10.0.0.256", "010.0.0.1", "1.2.3.4.5", "a.b.c.d", "", "1..2.3", "+1.2.3.4"] {
            #expect(IPv4Address(bad) == nil, "\(bad)")
        }
        #expect(IPv4Address("10.20.0.10")?.description == "10.20.0.10")
    }

    @Test("subnets: parsing, containment, broadcast, overlap")
    func subnets() throws {
        let subnet = try IPv4Subnet.parse("10.10.0.0/24").get()
        #expect(subnet.contains(IPv4Address("10.10.0.77")!))
        #expect(!subnet.contains(IPv4Address("10.10.1.1")!))
        #expect(subnet.broadcast.description == "10.10.0.255")
        #expect(subnet.firstHost.description == "10.10.0.1")
        #expect(subnet.overlaps(try IPv4Subnet.parse("10.10.0.0/16").get()))
        #expect(!subnet.overlaps(try IPv4Subnet.parse("10.20.0.0/24").get()))
        #expect(IPv4Subnet.parse("10.10.0.5/24") == .failure(.hostBitsSet(subnet)))
        #expect(IPv4Subnet.parse("fd00::/64") == .failure(.ipv6))
        #expect(IPv4Subnet.parse("10.10.0.0/33") == .failure(.badPrefix("33")))
        #expect(IPv4Subnet.parse("10.10.0.0") == .failure(.malformed))
    }

    @Test("MAC addresses: format, multicast bit, zero")
    func mac() {
        #expect(MACAddress("52:54:00:12:34:56")?.isMulticast == false)
        #expect(MACAddress("01:00:5e:00:00:01")?.isMulticast == true)
        #expect(MACAddress("ff:ff:ff:ff:ff:ff")?.isMulticast == true)
        #expect(MACAddress("00:00:00:00:00:00")?.isZero == true)
        #expect(MACAddress("52:54:00:AB:cd:EF")?.description == "52:54:00:ab:cd:ef")
        for bad in ["52:54:00:12:34", "52-54-00-12-34-56", "5254.0012.3456", "52:54:00:12:34:5g", "525:4:00:12:34:56"] {
            #expect(MACAddress(bad) == nil, "\(bad)")
        }
    }
}
