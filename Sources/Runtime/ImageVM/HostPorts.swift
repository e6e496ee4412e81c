import Foundation
import VMCtlModel

/// Host ports that image VMs forward: which are free, and which another VM of any stack claims.
public enum HostPorts {
    /// A forward some VM on this host has recorded (in its vm.json).
    public struct Claim: Sendable, Equatable {
        public var stack: String
        public var vm: String
        public var port: PortForward
    }

    /// Every forward recorded by VMs of every stack in the state folder (their vm.json), SSH forwards included.
    public static func claims(stateDirectory: StateDirectory) -> [Claim] {
        let stacks = (try? FileManager.default.contentsOfDirectory(atPath: stateDirectory.path + "/stacks")) ?? []
        var claims: [Claim] = []
        for stack in stacks.sorted() {
            let paths = StackPaths(stateDirectory: stateDirectory, stack: stack)
            for vm in ((try? FileManager.default.contentsOfDirectory(atPath: paths.vms)) ?? []).sorted() {
                guard let record = try? AtomicFile.readJSON(VMRecord.self, from: paths.vm(vm).record) else { continue }
                for port in record.spec.ports { claims.append(Claim(stack: stack, vm: vm, port: port)) }
                if let ssh = record.sshPort { claims.append(Claim(stack: stack, vm: vm, port: PortForward(host: ssh, guest: 22))) }
            }
        }
        return claims
    }

    /// Whether a socket can be bound on the port now (SO_REUSEADDR, as QEMU's slirp binds its forwards).
    public static func isFree(_ port: PortForward) -> Bool {
        let kind = port.protocol == .tcp ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue)
        let fd = socket(AF_INET, kind, 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port.host).bigEndian)
        address.sin_addr.s_addr = port.address.value.bigEndian
        // Sound: `address` is a sockaddr_in on the stack, passed with its own size.
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// A loopback TCP port the kernel considers free now, for a VM's SSH forward; `preferred` first.
    public static func freeLoopbackPort(preferred: Int?, avoiding claimed: Set<Int>) -> Int? {
        if let preferred, !claimed.contains(preferred), isFree(PortForward(host: preferred, guest: 22)) { return preferred }
        for _ in 0..<64 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            // Sound: as above; getsockname writes at most `length` bytes into `address`.
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
                }
            }
            guard bound else { return nil }
            let port = Int(UInt16(bigEndian: address.sin_port))
            if !claimed.contains(port) { return port }
        }
        return nil
    }
}
