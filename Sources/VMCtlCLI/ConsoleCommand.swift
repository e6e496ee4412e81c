import ArgumentParser
import Foundation
import Runtime

struct ConsoleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Attach to a VM's serial console. Press Ctrl-] to detach.",
        discussion: "Input goes to the guest's ttyS0; detaching leaves the VM running. Output is also kept in the console log (vmctl logs).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: StackSelection

    @Argument(help: ArgumentHelp("The VM.", valueName: "vm"))
    var vm: String

    static let escape: UInt8 = 0x1D   // Ctrl-]

    func run() throws {
        let context = RuntimeContext(global)
        let runtime = context.runtime(for: try context.chooseStack(selection.stack))
        let path = runtime.paths.vm(vm).consoleSocket
        if runtime.records()[vm]?.backend == .kvm, !FileManager.default.fileExists(atPath: path) {
            // A vmctl-vmm from before console sockets serves none: only a restart gives the VM one.
            Console.err("vmctl: error: VM '\(vm)': console failed: no console socket at \(path): the VM is not running, or its vmctl-vmm predates console sockets (vmctl restart \(vm) gives it one); vmctl logs \(vm) shows its console output\n")
            throw ExitCode(1)
        }
        let socket: Int32
        do { socket = try ConsoleConnection.connect(path) } catch {
            Console.err("vmctl: error: VM '\(vm)': console failed: \(error) (is it running?)\n")
            throw ExitCode(1)
        }
        defer { close(socket) }
        let terminal = RawTerminal()
        defer { terminal.restore() }
        Console.err("Connected to \(vm)'s console; Ctrl-] detaches.\r\n")
        try ConsoleConnection.pump(socket: socket, escape: Self.escape)
        Console.err("\r\nDetached from \(vm).\r\n")
    }
}

/// Puts the terminal in raw mode while attached, so keys like Ctrl-C reach the guest.
final class RawTerminal {
    private var saved = termios()
    private let active: Bool

    init() {
        active = isatty(STDIN_FILENO) == 1 && tcgetattr(STDIN_FILENO, &saved) == 0
        guard active else { return }
        var raw = saved
        cfmakeraw(&raw)
        tcsetattr(STDIN_FILENO, TCSANOW, &raw)
    }

    func restore() {
        if active { tcsetattr(STDIN_FILENO, TCSANOW, &saved) }
    }
}

enum ConsoleConnection {
    static func connect(_ path: String) throws -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw UsageError(message: "socket path too long: \(path)") }
        // Copies the checked path into the fixed-size sun_path array.
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in for (i, b) in bytes.enumerated() { buffer[i] = b } }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw UsageError(message: "socket(): \(String(cString: strerror(errno)))") }
        let result = withUnsafePointer(to: &address) {
            // sockaddr_un is layout-compatible with sockaddr.
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw UsageError(message: message)
        }
        return fd
    }

    static func drain(_ socket: Int32, quietFor milliseconds: Int32) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        while poll(&descriptor, 1, milliseconds) > 0 {
            let n = read(socket, &buffer, buffer.count)
            if n <= 0 { return }
            _ = write(STDOUT_FILENO, buffer, n)
        }
    }

    /// Copies stdin → socket and socket → stdout until the escape byte, end of input, or the VM goes away.
    static func pump(socket: Int32, escape: UInt8) throws {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var fds = [pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0), pollfd(fd: socket, events: Int16(POLLIN), revents: 0)]
        while true {
            guard poll(&fds, 2, -1) >= 0 || errno == EINTR else { return }
            if fds[1].revents != 0 {
                let n = read(socket, &buffer, buffer.count)
                if n <= 0 { return }
                _ = write(STDOUT_FILENO, buffer, n)
            }
            if fds[0].revents != 0 {
                let n = read(STDIN_FILENO, &buffer, buffer.count)
                if n <= 0 {
                    // Piped input ended: show what the guest still answers, until it is quiet for half a second.
                    drain(socket, quietFor: 500)
                    return
                }
                if let index = buffer[..<n].firstIndex(of: escape) {
                    if index > 0 { _ = write(socket, buffer, index) }
                    return
                }
                _ = write(socket, buffer, n)
            }
        }
    }
}
