/// The Root System Description Pointer, revision 2 (ACPI §5.2.5.3): 36 bytes pointing at the XSDT.
public enum RSDP {
    public static let size = 36

    public static func build(xsdtAddress: UInt64) -> [UInt8] {
        var out = Array("RSD PTR ".utf8)
        out.append(0)  // checksum over bytes 0..<20, below
        out += ByteFields.ascii(ACPITableHeader.oemID, count: 6)
        out.append(2)  // revision: ACPI 2.0+
        ByteFields.append(UInt32(0), to: &out)  // RSDT address: none, XSDT only
        ByteFields.append(UInt32(size), to: &out)
        ByteFields.append(xsdtAddress, to: &out)
        out.append(0)  // extended checksum over all 36 bytes, below
        out += [0, 0, 0]
        out[8] = ACPIChecksum.of(out[0..<20])
        out[32] = ACPIChecksum.of(out)
        return out
    }
}
