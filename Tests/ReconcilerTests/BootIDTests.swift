import Foundation
import Reconciler
import Testing

@Suite struct BootIDTests {
    @Test func readsTheFileNamedByTheEnvironment() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("boot_id", "  1f2e3d4c-aaaa-bbbb-cccc-0123456789ab\n\n")
        let bootID = BootID(environment: ["VMCTL_BOOT_ID_FILE": file])
        #expect(bootID.path == file)
        #expect(bootID.read() == "1f2e3d4c-aaaa-bbbb-cccc-0123456789ab")
        // A reboot is a new content.
        try folder.write("boot_id", "second\n")
        #expect(bootID.read() == "second")
    }

    @Test func nilWhenMissingOrEmpty() throws {
        let folder = try TemporaryFolder()
        #expect(BootID(environment: ["VMCTL_BOOT_ID_FILE": folder.file("missing")]).read() == nil)
        let empty = try folder.write("empty", "")
        #expect(BootID(environment: ["VMCTL_BOOT_ID_FILE": empty]).read() == nil)
        let blank = try folder.write("blank", " \n\t\n")
        #expect(BootID(environment: ["VMCTL_BOOT_ID_FILE": blank]).read() == nil)
    }

    @Test func defaultsToTheKernelsBootID() {
        let bootID = BootID(environment: [:])
        #expect(bootID.path == "/proc/sys/kernel/random/boot_id")
        // Linux always has one: 36 characters, a UUID.
        #expect(bootID.read().map { UUID(uuidString: $0) != nil } == true)
    }
}
