/// Control-register and EFER bits used to enter long mode.
public enum ControlBits {
    public static let cr0ProtectionEnable: UInt64 = 1 << 0
    public static let cr0Paging: UInt64 = 1 << 31
    public static let cr4PhysicalAddressExtension: UInt64 = 1 << 5
    public static let eferLongModeEnable: UInt64 = 1 << 8
    public static let eferLongModeActive: UInt64 = 1 << 10
}
