/*
 * The DSDT that DSDT(virtio: [0xC0001000 GSI 5], powerButtonGSI: 6) must produce, written in ASL: the usual
 * devices plus an ACPI power button and the Generic Event Device that presses it.
 * dsdt-power-button.hex is `iasl` of this file; DSDTPowerButtonTests compares our AML body with it.
 */
DefinitionBlock ("", "DSDT", 2, "VMCTL ", "VMCTLDSD", 1)
{
    Scope (\_SB)
    {
        Device (V000)
        {
            Name (_HID, "LNRO0005")
            Name (_UID, Zero)
            Name (_CCA, One)
            Name (_CRS, ResourceTemplate ()
            {
                Memory32Fixed (ReadWrite, 0xC0001000, 0x00001000, )
                Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, ) { 5 }
            })
        }
        Device (COM1)
        {
            Name (_HID, EisaId ("PNP0501"))
            Name (_UID, Zero)
            Name (_DDN, "COM1")
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08, )
                Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, ) { 4 }
            })
        }
        Device (PS2_)
        {
            Name (_HID, EisaId ("PNP0303"))
            Method (_STA, 0, NotSerialized)
            {
                Return (0x0F)
            }
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, 0x0060, 0x0060, 0x01, 0x01, )
                IO (Decode16, 0x0064, 0x0064, 0x01, 0x01, )
                Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, ) { 1 }
            })
        }
        Device (PWRB)
        {
            Name (_HID, EisaId ("PNP0C0C"))
            Name (_UID, Zero)
        }
        Device (GED_)
        {
            Name (_HID, "ACPI0013")
            Name (_UID, Zero)
            Name (_CRS, ResourceTemplate ()
            {
                Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive, ,, ) { 6 }
            })
            Method (_EVT, 1, NotSerialized)
            {
                Notify (PWRB, 0x80)
            }
        }
    }
    Name (_S5, Package (0x04) { 5, 5, Zero, Zero })
}
