import Foundation
import Testing
import VMMControl

@Suite("vmctl-vmm virtio-mmio on /dev/kvm", .enabled(if: VMMTestSupport.canRun, VMMTestSupport.skipComment))
struct VirtioTests {
    @Test("the first window reads magic/version/device id 2; an in-payload driver reads sector 0 of the disk")
    func blockRead() throws {
        let folder = try TempFolder()
        let disk = folder.file("disk.img")
        var image = Data("VMCTL-DISK-SECTOR-0: hello, virtio-blk!".utf8)
        image.append(Data(count: 4096 - image.count))
        try image.write(to: URL(fileURLWithPath: disk))
        let vm = try VMMRun(payload: "virtio_blk", disks: [LaunchSpec.Disk(path: disk, readOnly: true)], folder: folder)
        let (status, stderr) = vm.wait()
        #expect(status == 0, "\(stderr)")
        #expect(vm.console == "magic=74726976 version=00000002 device=00000002\nblk status=00000000 data=VMCTL-DISK-SECTOR-0: hello, virt\n")
    }

    @Test("without disks the first window is the virtio-console (device id 3)")
    func consoleDevice() throws {
        let vm = try VMMRun(payload: "virtio_blk")
        let (status, stderr) = vm.wait()
        #expect(status == 0, "\(stderr)")
        #expect(vm.console == "magic=74726976 version=00000002 device=00000003\nnot a block device\n")
    }
}
