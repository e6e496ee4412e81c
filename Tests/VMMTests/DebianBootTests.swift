import Foundation
import HostTools
import Testing
import VMMControl
import VMMDevices

/// The Debian cloud kernel on vmctl-vmm. This machine's /dev/kvm is nested and emulated (vmm-facts.md note):
/// the bzImage spends ~170 s decompressing itself before its first line, so the test boots the same kernel's
/// ELF vmlinux (extracted from the bzImage's LZ4 payload at test time), which prints its banner after ~25 s.
/// `scripts/vmm-debian-boot` boots the bzImage itself with a longer bound.
@Suite("Debian cloud kernel on vmctl-vmm (long: 20 s alone, up to ~3 min under load on nested KVM; VMCTL_SKIP_LONG_TESTS=1 skips it)",
       .enabled(if: DebianKernel.unavailableReason == nil, Comment(rawValue: DebianKernel.unavailableReason ?? "")))
struct DebianBootTests {
    @Test("partial boot: the banner, exactly our e820 map, our command line, our ACPI tables, the MADT's CPU count",
          .timeLimit(.minutes(5)))
    func partialBoot() throws {
        let folder = try TempFolder()
        let vmlinux = folder.file("vmlinux")
        try DebianKernel.extractVMLinux(from: DebianKernel.path, to: vmlinux)
        let cmdline = "earlyprintk=ttyS0 console=ttyS0 reboot=k panic=-1 pci=off"
        let vm = try VMMRun(kernel: vmlinux, vcpus: 2, memoryMiB: 256, cmdline: cmdline, folder: folder)
        let client = try vm.client()
        // The whole smpboot line (it arrives byte by byte). ~20 s alone; several times that while the rest of
        // `swift test` (QEMU end-to-end tests) shares the two CPUs.
        let booted = VMMTestSupport.eventually(within: .seconds(240)) {
            vm.console.contains("hotplug CPUs") || !vm.process.isRunning
        }
        let console = vm.console
        if vm.process.isRunning { try? client.powerOff() }
        let (_, stderr) = vm.wait()
        #expect(booted, "no smpboot line within 240 s; console:\n\(console)\nstderr: \(stderr)")
        let lines = console.split(whereSeparator: \.isNewline).map { line -> String in
            // "[    0.000000] text": drop the timestamp.
            guard line.hasPrefix("["), let close = line.firstIndex(of: "]") else { return String(line) }
            return String(line[line.index(after: close)...].dropFirst())
        }
        #expect(lines.contains { $0.hasPrefix("Linux version 6.1") }, "no banner:\n\(console)")
        #expect(lines.contains("Command line: \(cmdline)"))

        let e820 = lines.filter { $0.hasPrefix("BIOS-e820: ") }
        let expected = try E820Map.standard(ramSize: 256 << 20).entries.sorted { $0.address < $1.address }.map { entry in
            let hex = { (value: UInt64) in "0x" + String(repeating: "0", count: 16 - String(value, radix: 16).count) + String(value, radix: 16) }
            return "BIOS-e820: [mem \(hex(entry.address))-\(hex(entry.end - 1))] \(entry.kind == .ram ? "usable" : "reserved")"
        }
        #expect(e820 == expected)

        #expect(lines.contains { $0.hasPrefix("ACPI: RSDP 0x00000000000E0000 000024 (v02 VMCTL ") })
        for signature in ["XSDT", "FACP", "DSDT", "APIC"] {
            #expect(lines.contains { $0.hasPrefix("ACPI: \(signature) 0x00000000000") && $0.contains(" VMCTL  VMCTL") },
                    "no ACPI \(signature) line")
        }
        #expect(lines.contains("smpboot: Allowing 2 CPUs, 0 hotplug CPUs"))
    }
}

enum DebianKernel {
    /// VMCTL_TEST_KERNEL, else the newest installed /boot/vmlinuz-*-cloud-amd64 (the one the default guest boots).
    static let path = HostTools.debianCloudKernel ?? ""

    static let unavailableReason: String? = {
        if let reason = VMMTestSupport.unavailableReason { return reason }
        if ProcessInfo.processInfo.environment["VMCTL_SKIP_LONG_TESTS"] == "1" { return "VMCTL_SKIP_LONG_TESTS=1" }
        if let missing = HostTools.debianCloudKernelMissing { return missing }
        guard VMMTestSupport.tool("lz4") != nil else { return "lz4 is not installed (apt-get install lz4): it extracts vmlinux from the bzImage" }
        return nil
    }()

    /// Writes the ELF vmlinux inside a bzImage whose payload is LZ4 (Debian's): payload_offset/payload_length
    /// in the setup header locate it after the setup sectors.
    static func extractVMLinux(from bzImage: String, to output: String) throws {
        let image = try Data(contentsOf: URL(fileURLWithPath: bzImage))
        func u32(_ offset: Int) -> Int { (0..<4).reduce(0) { $0 | Int(image[offset + $1]) << ($1 * 8) } }
        let setupSectors = Int(image[0x1F1] == 0 ? 4 : image[0x1F1])
        let start = (setupSectors + 1) * 512 + u32(0x248)
        let payload = image.subdata(in: start..<start + u32(0x24C))
        guard payload.starts(with: [0x02, 0x21, 0x4C, 0x18]) else {
            throw VMMTestSupport.Failure(description: "\(bzImage): the payload is not LZ4 (legacy frame)")
        }
        let compressed = output + ".lz4"
        try payload.write(to: URL(fileURLWithPath: compressed))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(VMMTestSupport.tool("lz4")))
        process.arguments = ["-d", "-f", "-q", compressed, output]
        try process.run()
        process.waitUntilExit()
        guard FileManager.default.fileExists(atPath: output) else {
            throw VMMTestSupport.Failure(description: "lz4 could not decompress the payload of \(bzImage)")
        }
    }
}
