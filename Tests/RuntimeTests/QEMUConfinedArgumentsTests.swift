import Testing
import VMCtlModel
@testable import Runtime

@Suite("QEMU's command line when confined: vmctl-launch opens every file and socket, QEMU gets descriptors")
struct QEMUConfinedArgumentsTests {
    static func launch(uid: UInt32?) throws -> VMLaunch {
        var launch = VMLaunch(name: "web", stack: "shop", spec: VMSpec(name: "web", cpus: 2, memory: .mib(256)),
                              paths: VMPaths(directory: "/v/web"), kernel: "/boot/vmlinuz", initrd: "/g/initrd.img",
                              cmdline: "console=ttyS0", disks: [.init(path: "/v/data.img", readOnly: false), .init(path: "/v/ro.img", readOnly: true)])
        launch.nics = [.init(attachment: .switchSocket("/n/lan/switch.sock"), mac: try #require(MACAddress("52:54:00:00:00:01"))),
                       .init(attachment: .tap("vt1"), mac: try #require(MACAddress("52:54:00:00:00:02")))]
        launch.confinement = uid.map { .confined(uid: $0) } ?? .unconfined("test")
        return launch
    }

    static var backend: QEMUBackend {
        var backend = QEMUBackend(binary: "/usr/bin/qemu-system-x86_64", virtualization: HostVirtualization(hardwareKVM: false, reason: "test"))
        backend.launcher = "/opt/vmctl/vmctl-launch"
        return backend
    }

    @Test("confined: the launcher's options, then QEMU with fdsets, the sandbox, and fd= for sockets, switch and tap")
    func confined() throws {
        let args = Self.backend.arguments(for: try Self.launch(uid: 1_879_048_193))
        let split = try #require(args.firstIndex(of: "--"))
        #expect(Array(args[..<split]) == [
            "/opt/vmctl/vmctl-launch", "--uid", "1879048193", "--gid", "1879048193", "--nofile", "4096", "--nproc", "258",
            "--file", "3:k:/boot/vmlinuz", "--file", "4:k:/g/initrd.img", "--listen", "5:/v/web/console.sock",
            "--file", "6:a:/v/web/console.log", "--listen", "7:/v/web/qmp.sock", "--listen", "8:/v/web/agent.sock",
            "--connect", "9:/n/lan/switch.sock", "--tap", "10:vt1",
            "--file", "11:w:/v/data.img", "--file", "12:r:/v/data.img", "--file", "13:r:/v/ro.img"])
        let qemu = Array(args[(split + 1)...]).joined(separator: " ")
        #expect(qemu.hasPrefix("/usr/bin/qemu-system-x86_64 -add-fd fd=6,set=1,opaque=/v/web/console.log -add-fd fd=11,set=2,opaque=/v/data.img -add-fd fd=12,set=2,opaque=/v/data.img -add-fd fd=13,set=3,opaque=/v/ro.img -sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny "), "\(qemu)")
        for part in ["-kernel /proc/self/fd/3 -initrd /proc/self/fd/4",
                     "socket,id=console,fd=5,server=on,wait=off,logfile=/dev/fdset/1,logappend=on",
                     "socket,id=qmp,fd=7,server=on,wait=off", "socket,id=agent,fd=8,server=on,wait=off",
                     "stream,id=net0,server=off,addr.type=fd,addr.str=9", "tap,id=net1,fd=10",
                     "id=disk0,file=/dev/fdset/2,", "id=disk1,file=/dev/fdset/3,"] {
            #expect(qemu.contains(part), "\(part) in \(qemu)")
        }
        #expect(!qemu.contains("-runas") && !qemu.contains("-daemonize"))
    }

    @Test("unconfined: QEMU alone, with paths, as before")
    func unconfined() throws {
        let args = Self.backend.arguments(for: try Self.launch(uid: nil))
        #expect(args.first == "/usr/bin/qemu-system-x86_64" && !args.contains("-sandbox") && !args.contains("-add-fd"))
        let qemu = args.joined(separator: " ")
        for part in ["-kernel /boot/vmlinuz -initrd /g/initrd.img", "socket,id=qmp,path=/v/web/qmp.sock,server=on,wait=off",
                     "addr.type=unix,addr.path=/n/lan/switch.sock", "tap,id=net1,ifname=vt1,script=no,downscript=no",
                     "id=disk0,file=/v/data.img,"] {
            #expect(qemu.contains(part), "\(part) in \(qemu)")
        }
    }

    @Test("confined image VM: the backing chain as -blockdev nodes with the base by descriptor; seed and OVMF as fdsets")
    func confinedImageVM() throws {
        var launch = VMLaunch(name: "db", stack: "c", spec: VMSpec(name: "db"), paths: VMPaths(directory: "/v/db"), kernel: "",
                              cmdline: "", disks: [])
        let management = try #require(ManagementNetwork.choose(stack: "c", vm: "db", avoiding: []))
        launch.image = ImageBoot(rootDisk: "/v/db/root.qcow2", seed: "/v/db/seed.iso", firmware: .uefi, firmwareCode: "/ovmf/code.fd",
                                 firmwareVars: "/v/db/efivars.fd", management: management, sshPort: 2222,
                                 base: "/i/sha256/ab/base.qcow2", baseFormat: .qcow2)
        launch.confinement = .confined(uid: 1_879_048_200)
        let args = Self.backend.arguments(for: launch)
        let split = try #require(args.firstIndex(of: "--"))
        #expect(Array(args[..<split]).suffix(22) == [
            "--file", "3:r:/ovmf/code.fd", "--file", "4:w:/v/db/efivars.fd", "--file", "5:r:/v/db/efivars.fd",
            "--listen", "6:/v/db/console.sock", "--file", "7:a:/v/db/console.log", "--listen", "8:/v/db/qmp.sock",
            "--listen", "9:/v/db/agent.sock", "--file", "10:r:/i/sha256/ab/base.qcow2", "--file", "11:w:/v/db/root.qcow2",
            "--file", "12:r:/v/db/root.qcow2", "--file", "13:r:/v/db/seed.iso"])
        let qemu = args[(split + 1)...].joined(separator: " ")
        for part in ["if=pflash,format=raw,unit=0,readonly=on,file=/dev/fdset/1", "if=pflash,format=raw,unit=1,file=/dev/fdset/2",
                     "-blockdev driver=file,node-name=base-file,filename=/dev/fdset/4,read-only=on",
                     "-blockdev driver=qcow2,node-name=base,file=base-file,read-only=on",
                     "-blockdev driver=file,node-name=root-file,filename=/dev/fdset/5,discard=unmap",
                     "-blockdev driver=qcow2,node-name=root-disk,file=root-file,backing=base,discard=unmap",
                     "-device virtio-blk-pci,drive=root-disk,id=root", "id=seed,file=/dev/fdset/6,"] {
            #expect(qemu.contains(part), "\(part) in \(qemu)")
        }
        #expect(!qemu.contains("/v/db/root.qcow2,") && !qemu.contains("file=/v/db/seed.iso"))
    }
}
