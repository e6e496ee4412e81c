import Foundation

/// Lays out the default guest's root file system as a cpio archive: busybox and its applet links,
/// the kernel modules in load order, device nodes the kernel needs before devtmpfs, and the scripts.
struct InitramfsImage {
    var busybox: Data
    var applets: [String]
    var kernelVersion: String
    /// Relative module paths (as in modules.dep) in load order, with their contents.
    var modules: [(path: String, contents: Data)]

    func archive() -> Data {
        var cpio = CPIOWriter()
        for folder in ["bin", "dev", "etc", "etc/acpi", "etc/acpi/PWRF", "etc/vmctl", "lib", "lib/modules", "proc",
                       "root", "run", "sys", "tmp", "usr", "var"] {
            cpio.directory(folder, mode: folder == "tmp" ? 0o1777 : 0o755)
        }
        // The kernel opens /dev/console for init's stdio before /init can mount devtmpfs.
        cpio.characterDevice("dev/console", major: 5, minor: 1, mode: 0o600)
        cpio.characterDevice("dev/null", major: 1, minor: 3, mode: 0o666)

        // One real folder of applets; the others link to it, so any path a script or user expects works.
        cpio.file("bin/busybox", contents: busybox, mode: 0o755)
        for applet in applets where applet != "busybox" {
            cpio.symlink("bin/\(applet)", target: "busybox")
        }
        cpio.symlink("sbin", target: "bin")
        cpio.symlink("usr/bin", target: "../bin")
        cpio.symlink("usr/sbin", target: "../bin")
        cpio.symlink("var/run", target: "../run")

        let moduleDirectory = "lib/modules/\(kernelVersion)"
        // Parents before children: the kernel's unpacker creates one folder at a time.
        cpio.directory(moduleDirectory)
        var made: Set<String> = [moduleDirectory]
        for module in modules {
            var folder = moduleDirectory
            for part in module.path.split(separator: "/").dropLast() {
                folder += "/" + part
                if made.insert(folder).inserted { cpio.directory(folder) }
            }
            cpio.file("\(moduleDirectory)/\(module.path)", contents: module.contents)
        }
        let order = modules.map(\.path).joined(separator: "\n") + (modules.isEmpty ? "" : "\n")
        cpio.file("etc/vmctl/modules", contents: Data(order.utf8))

        cpio.file("init", contents: Data(GuestInit.initScript(moduleDirectory: "/" + moduleDirectory).utf8), mode: 0o755)
        cpio.file("etc/inittab", contents: Data(GuestInit.inittab.utf8))
        cpio.file("etc/vmctl/shutdown", contents: Data(GuestInit.shutdownScript.utf8), mode: 0o755)
        cpio.file("etc/vmctl/agent", contents: Data(GuestInit.agentScript.utf8), mode: 0o755)
        cpio.file("etc/acpi/PWRF/00000080", contents: Data(GuestInit.powerButtonHandler.utf8), mode: 0o755)
        cpio.file("etc/profile", contents: Data(GuestInit.profile.utf8))
        return cpio.finish()
    }
}
