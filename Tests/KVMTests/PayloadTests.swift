import Foundation
import KVM
import Testing
import VMMDevices

@Suite("Tiny payloads on /dev/kvm", .enabled(if: KVMTestSupport.canRunPayloads, KVMTestSupport.skipComment))
struct PayloadTests {
    @Test("(a) real mode: \"OK\\n\" arrives as three 1-byte OUTs on 0x3F8, then HLT; time to the first byte")
    func realModeSerial() throws {
        let payload = try KVMTestSupport.payload("real_mode_serial")
        let opened = ContinuousClock.now
        let system = try KVMSystem()
        let created = ContinuousClock.now
        let vm = try system.createVM()
        try vm.setTSSAddress()
        let ram = try GuestRAM(size: 2 << 20)
        try vm.map(ram)
        let vcpu = try vm.createVCPU(id: 0)
        let machine = KVMTestSupport.Machine(system: system, vm: vm, ram: ram, vcpu: vcpu)
        try KVMTestSupport.enterRealMode(machine, payload: payload)

        let first = try vcpu.run()
        let firstByte = ContinuousClock.now
        #expect(first == .ioOut(port: 0x3F8, size: 1, count: 1, data: [UInt8(ascii: "O")]))
        #expect(try vcpu.run() == .ioOut(port: 0x3F8, size: 1, count: 1, data: [UInt8(ascii: "K")]))
        #expect(try vcpu.run() == .ioOut(port: 0x3F8, size: 1, count: 1, data: [0x0A]))
        #expect(try vcpu.run() == .hlt)
        print("KVM timing (debug build): open /dev/kvm → first serial byte \(firstByte - opened); "
              + "KVM_CREATE_VM → first serial byte \(firstByte - created)")
    }

    @Test("rep outsb / rep insb: string data crosses kvm_run in both directions; an ins exit carries the whole count")
    func stringIO() throws {
        let machine = try KVMTestSupport.machine()
        try KVMTestSupport.enterRealMode(machine, payload: try KVMTestSupport.payload("string_io"))
        let vcpu = machine.vcpu
        // KVM's emulator batches `rep ins` (one exit, count 4) but may exit once per byte for `rep outs`.
        var (output, last) = try KVMTestSupport.runCollectingOutput(vcpu)
        #expect(output == [0x3F8: Array("abc".utf8)])
        #expect(last == .ioIn(port: 0x3F8, size: 1, count: 4))
        try vcpu.completeRead(Array("wxyz".utf8))
        (output, last) = try KVMTestSupport.runCollectingOutput(vcpu)
        #expect(output == [0x3F8: Array("wxyz".utf8)])
        #expect(last == .hlt)
    }

    @Test("(b) 64-bit entry on LongModeSetup's GDT and page tables: stack, RIP-relative data and 64-bit registers work")
    func longModeSerial() throws {
        let machine = try KVMTestSupport.machine()
        try KVMTestSupport.enterLongMode(machine, payload: try KVMTestSupport.payload("long_mode_serial"))
        let (output, last) = try KVMTestSupport.runCollectingOutput(machine.vcpu)
        #expect(last == .hlt)
        #expect(String(decoding: output[0x3F8] ?? [], as: UTF8.self) == "64-bit OK\n")
        #expect(output[0x3F9] == [UInt8(ascii: "A")])

        let special = try machine.vcpu.specialRegisters()
        #expect(special.efer & ControlBits.eferLongModeActive != 0)
        #expect(special.cs.l && !special.cs.db && special.cs.selector == LongModeSetup.codeSelector)
        #expect(special.tr.selector == LongModeSetup.tssSelector && special.tr.type == 11)
        #expect(special.cr3 == LongModeSetup.cr3)
        let registers = try machine.vcpu.registers()
        #expect(registers.rsp == LongModeSetup.stackPointer)   // call/ret and push/pop balanced
        #expect(registers.rip > KVMTestSupport.longModeEntry && registers.rip < KVMTestSupport.longModeEntry + 0x100)
    }

    @Test("(c) a null IDT and ud2 triple-fault: the exit is .shutdown")
    func tripleFault() throws {
        let machine = try KVMTestSupport.machine()
        try KVMTestSupport.enterLongMode(machine, payload: try KVMTestSupport.payload("triple_fault"))
        let (output, last) = try KVMTestSupport.runCollectingOutput(machine.vcpu)
        #expect(output.isEmpty)
        #expect(last == .shutdown)
    }

    /// Maps 3–4 GiB (where 0xC0001000 lives) with a second page directory at 0xC000, as Linux would.
    private func mapMMIOHole(_ ram: GuestRAM) throws {
        let directory: UInt64 = 0xC000
        try ram.writeInteger(LongModeSetup.pdptAddress.adding(3 * 8)!, directory | 0x3)
        for index in 0..<UInt64(512) {
            try ram.writeInteger(GuestAddress(directory + index * 8), (0xC000_0000 + index * (2 << 20)) | 0x83)
        }
    }

    @Test("(d) MMIO at 0xC0001000: reads and writes of 1, 4 and 8 bytes exit with the right address, length and data; read values reach the guest")
    func mmio() throws {
        let machine = try KVMTestSupport.machine()
        try KVMTestSupport.enterLongMode(machine, payload: try KVMTestSupport.payload("mmio"))
        try mapMMIOHole(machine.ram)
        let vcpu = machine.vcpu

        #expect(try vcpu.run() == .mmioRead(address: 0xC000_1000, length: 4))
        try vcpu.completeRead(value: 0x0A4B_4F21)
        #expect(try vcpu.run() == .ioOut(port: 0x3F8, size: 4, count: 1, data: [0x21, 0x4F, 0x4B, 0x0A]))
        #expect(try vcpu.run() == .mmioWrite(address: 0xC000_1000, data: [0xBE, 0xBA, 0xFE, 0xCA]))
        #expect(try vcpu.run() == .mmioWrite(address: 0xC000_1008, data: [0x5A]))
        #expect(try vcpu.run() == .mmioRead(address: 0xC000_1010, length: 8))
        try vcpu.completeRead([0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11])
        #expect(try vcpu.run() == .ioOut(port: 0x3F8, size: 4, count: 1, data: [0x88, 0x77, 0x66, 0x55]))
        #expect(try vcpu.run() == .ioOut(port: 0x3F8, size: 4, count: 1, data: [0x44, 0x33, 0x22, 0x11]))
        #expect(try vcpu.run() == .hlt)
    }

    @Test("an unanswered MMIO read returns zero to the guest; completing without a pending read is refused")
    func unansweredRead() throws {
        let machine = try KVMTestSupport.machine()
        try KVMTestSupport.enterLongMode(machine, payload: try KVMTestSupport.payload("mmio"))
        try mapMMIOHole(machine.ram)
        #expect(throws: KVMError.self) { try machine.vcpu.completeRead(value: 1) }
        #expect(try machine.vcpu.run() == .mmioRead(address: 0xC000_1000, length: 4))
        #expect(throws: KVMError.self) { try machine.vcpu.completeRead([1, 2, 3, 4, 5]) }
        #expect(try machine.vcpu.run() == .ioOut(port: 0x3F8, size: 4, count: 1, data: [0, 0, 0, 0]))
    }

    @Test("an ioeventfd at 0xC0001000 (datamatch 0xCAFEBABE) takes the 4-byte write: no exit, the eventfd counts it")
    func ioeventfd() throws {
        let machine = try KVMTestSupport.machine()
        try KVMTestSupport.enterLongMode(machine, payload: try KVMTestSupport.payload("mmio"))
        try mapMMIOHole(machine.ram)
        let notify = try EventFD()
        try machine.vm.registerIOEventFD(notify, address: 0xC000_1000, length: 4, datamatch: 0xCAFE_BABE)
        #expect(try notify.consume() == nil)
        #expect(try machine.vcpu.run() == .mmioRead(address: 0xC000_1000, length: 4))
        #expect(try machine.vcpu.run() == .ioOut(port: 0x3F8, size: 4, count: 1, data: [0, 0, 0, 0]))
        #expect(try machine.vcpu.run() == .mmioWrite(address: 0xC000_1008, data: [0x5A]))
        #expect(try notify.consume() == 1)
        try machine.vm.unregisterIOEventFD(notify, address: 0xC000_1000, length: 4, datamatch: 0xCAFE_BABE)
    }
}
