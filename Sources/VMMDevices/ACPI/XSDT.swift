/// The Extended System Description Table (ACPI §5.2.8): the 64-bit addresses of the other tables (the
/// DSDT is reached through the FADT, not listed here).
public enum XSDT {
    public static func build(entries: [UInt64]) -> [UInt8] {
        var body: [UInt8] = []
        for address in entries { ByteFields.append(address, to: &body) }
        return ACPITableHeader(signature: "XSDT", revision: 1, oemTableID: "VMCTLXSD").table(body: body)
    }
}
