import Testing
import VMMDevices

/// `receiveRoom` and `onReceiveRoom`: what a host reader needs to hand over only what the device will queue, and to
/// learn when the guest made room again.
@Suite("virtio-net receive room")
struct VirtioNetReceiveRoomTests {
    let net = VirtioNet(mac: MACAddress(NetTest.mac)!, output: NetFrameBuffer(), pendingLimit: 4)
    let driver: VirtioTestDriver
    let calls = Calls()

    /// How often the device called onReceiveRoom (on the test's own thread).
    final class Calls {
        var count = 0
    }

    init() {
        driver = VirtioTestDriver(device: net)
        net.onReceiveRoom = { [calls] in calls.count += 1 }
    }

    var callCount: Int { calls.count }

    @Test("room counts down as frames wait, never below 0; frames within the room are never dropped")
    func countsDown() {
        driver.probe()
        #expect(net.receiveRoom == 4)
        net.receive([NetTest.frame(length: 60, seed: 1), NetTest.frame(length: 60, seed: 2), NetTest.frame(length: 60, seed: 3)])
        #expect(net.receiveRoom == 1)
        net.receive(NetTest.frame(length: 60, seed: 4))
        #expect(net.receiveRoom == 0 && net.stats.totalDropped == 0)
        net.receive(NetTest.frame(length: 60, seed: 5))  // a caller that ignores the room loses the frame
        #expect(net.receiveRoom == 0 && net.stats.dropped(.rxQueueFull) == 1)
    }

    @Test("unlimited while not active (before DRIVER_OK, after a reset): those frames cannot wait anyway")
    func unlimitedWhenInactive() {
        #expect(net.receiveRoom == .max)
        driver.probe()
        #expect(net.receiveRoom == 4)
        driver.write32(0x70, 0)
        #expect(net.receiveRoom == .max)
    }

    @Test("the guest's receive buffers taking waiting frames call onReceiveRoom once per kick; an idle kick does not")
    func calledWhenFramesLeave() {
        driver.probe()  // its reset calls it too
        let base = callCount
        driver.netPostReceive(1)
        #expect(callCount == base, "nothing was waiting")
        net.receive((1...4).map { NetTest.frame(length: 60, seed: UInt8($0)) })  // one goes straight to the buffer
        #expect(net.receiveRoom == 1 && callCount == base)
        driver.netPostReceive(2)
        #expect(net.receiveRoom == 3 && callCount == base + 1)
        driver.kick(queue: NetTest.rx)  // no new buffers: nothing left the queue
        #expect(callCount == base + 1)
        driver.netPostReceive(1)
        #expect(net.receiveRoom == 4 && callCount == base + 2)
        #expect(driver.takeUsed(queue: NetTest.rx).count == 4 && net.stats.totalDropped == 0)
    }

    @Test("a reset calls onReceiveRoom: the host may stop holding frames back")
    func calledAtReset() {
        driver.probe()
        let base = callCount
        net.receive((1...4).map { NetTest.frame(length: 60, seed: UInt8($0)) })
        #expect(net.receiveRoom == 0 && callCount == base)
        driver.write32(0x70, 0)
        #expect(callCount == base + 1 && net.receiveRoom == .max)
    }
}
