import Testing
import VMMDevices

@Suite("kernel command line")
struct KernelCmdlineTests {
    @Test("flags and key=value pairs join with spaces; values with spaces are quoted; NUL terminated")
    func builds() throws {
        var cmdline = KernelCmdline()
        try cmdline.append(key: "console", value: "ttyS0")
        try cmdline.append(flag: "quiet")
        try cmdline.append(key: "init.greeting", value: "hello world")
        try cmdline.append(key: "empty", value: "")
        #expect(cmdline.text == "console=ttyS0 quiet init.greeting=\"hello world\" empty=")
        #expect(cmdline.bytes.last == 0)
        #expect(cmdline.bytes.count == cmdline.text.utf8.count + 1)
        try cmdline.append(raw: "  reboot=k panic=1 x=\"a  b\" ")
        #expect(cmdline.text.hasSuffix(" reboot=k panic=1 x=\"a  b\""))
        #expect(try KernelCmdline("console=ttyS0 pci=off").text == "console=ttyS0 pci=off")
    }

    @Test("NUL, control characters, bad names and unquotable values are refused")
    func refuses() throws {
        var cmdline = KernelCmdline()
        #expect(throws: BootError.cmdlineInvalid(reason: "value of a contains a NUL byte")) { try cmdline.append(key: "a", value: "x\0y") }
        #expect(throws: BootError.cmdlineInvalid(reason: "argument \"a\nb\" contains control character 0xA")) { try cmdline.append(raw: "a\nb") }
        #expect(throws: BootError.cmdlineInvalid(reason: "parameter name \"a=b\" contains '='")) { try cmdline.append(key: "a=b", value: "c") }
        #expect(throws: BootError.cmdlineInvalid(reason: "parameter name \"a b\" contains a space")) { try cmdline.append(flag: "a b") }
        #expect(throws: BootError.cmdlineInvalid(reason: "empty parameter name")) { try cmdline.append(key: "", value: "c") }
        #expect(throws: BootError.cmdlineInvalid(reason: "value of k contains a double quote, which Linux cannot escape")) {
            try cmdline.append(key: "k", value: "say \"hi\"")
        }
        #expect(throws: BootError.cmdlineInvalid(reason: "unbalanced double quote in \"x=\"open\"")) { try cmdline.append(raw: "x=\"open") }
        #expect(cmdline.text.isEmpty)
    }

    @Test("the length limit is the kernel's cmdline_size, NUL excluded")
    func limit() throws {
        var cmdline = KernelCmdline(capacity: 10)
        try cmdline.append(raw: "0123456789")
        #expect(throws: BootError.cmdlineTooLong(length: 12, maximum: 10)) { try cmdline.append(flag: "a") }
        #expect(cmdline.text == "0123456789")
        let header = try BzImage(image: try syntheticBzImage()).header
        #expect(KernelCmdline(for: header).capacity == 0x7FF)
        var long = KernelCmdline(for: header)
        #expect(throws: BootError.cmdlineTooLong(length: 2048, maximum: 2047)) { try long.append(raw: String(repeating: "x", count: 2048)) }
    }
}
