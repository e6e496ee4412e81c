/// Why the default guest cannot be built or booted, each naming what is missing and how to get it.
public enum GuestError: Error, Equatable, CustomStringConvertible {
    case noKernel(bootDirectory: String)
    case kernelUnreadable(path: String)
    case noModuleFolder(kernelVersion: String, searched: [String])
    case missingModule(name: String, kernelVersion: String, folder: String)
    case compressedModule(path: String)
    case noBusybox(path: String)
    case dynamicBusybox(path: String, interpreter: String)
    case notAnExecutable(path: String)
    case missingApplets(path: String, applets: [String])
    case unreadable(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    case invalidCmdlineValue(field: String, value: String, reason: String)

    public var description: String {
        switch self {
        case .noKernel(let boot):
            return "no Linux kernel for the default guest: found no \(boot)/vmlinuz-*; install one with 'apt-get install linux-image-cloud-amd64', or give the VM its own kernel"
        case .kernelUnreadable(let path):
            return "cannot read the kernel \(path) (some distributions make it readable by root only); run vmctl as root or make the file readable"
        case .noModuleFolder(let version, let searched):
            return "the kernel \(version) has no modules folder (looked in \(searched.joined(separator: ", "))); reinstall its package, e.g. 'apt-get install --reinstall linux-image-cloud-amd64'"
        case .missingModule(let name, let version, let folder):
            return "the kernel \(version) has no module '\(name)' in \(folder)/modules.dep and does not build it in; use a kernel with virtio support such as linux-image-cloud-amd64"
        case .compressedModule(let path):
            return "the kernel module \(path) is compressed, and the default guest loads only uncompressed .ko files; use the linux-image-cloud-amd64 kernel or give the VM its own initrd"
        case .noBusybox(let path):
            return "no busybox at \(path); install it with 'apt-get install busybox-static'"
        case .dynamicBusybox(let path, let interpreter):
            return "\(path) is dynamically linked (it needs \(interpreter)) and cannot run alone in the guest; install the static build with 'apt-get install busybox-static'"
        case .notAnExecutable(let path):
            return "\(path) is not a 64-bit ELF executable; install busybox with 'apt-get install busybox-static'"
        case .missingApplets(let path, let applets):
            return "\(path) lacks the applets the guest needs (\(applets.joined(separator: ", "))); install the full build with 'apt-get install busybox-static'"
        case .unreadable(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .cannotWrite(let path, let reason):
            return "cannot write the default guest to \(path): \(reason); check the state folder (--state-dir) is writable"
        case .invalidCmdlineValue(let field, let value, let reason):
            return "cannot pass \(field) '\(value)' to the default guest: \(reason)"
        }
    }
}
