import Glibc

/// One line on the VMM's stderr (its vmm.log), written at once: for events that do not stop the VM.
enum VMMLog {
    static func note(_ message: String) {
        let bytes = Array("vmctl-vmm: \(message)\n".utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}
