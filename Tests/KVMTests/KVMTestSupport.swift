import Foundation
import HostTools
import KVM
import Testing
import VMMDevices

/// Host checks, payload assembly and VM builders shared by the /dev/kvm tests.
enum KVMTestSupport {
    static let payloadFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Payloads").path

    static func tool(_ name: String) -> String? { HostTools.find(name) }

    /// Why payload tests cannot run here, or nil when they can. Stated in the skip, never a silent pass.
    static let unavailableReason: String? = {
        if tool("as") == nil || tool("objcopy") == nil {
            return "GNU as/objcopy are not installed (apt-get install binutils): payloads are assembled at test time"
        }
        do {
            _ = try KVMSystem()
            return nil
        } catch {
            return "/dev/kvm is not usable: \(error)"
        }
    }()

    static var canRunPayloads: Bool { unavailableReason == nil }
    static var skipComment: Comment { Comment(rawValue: unavailableReason ?? "") }

    /// Every Payloads/*.S, assembled once per test process into a temporary folder.
    private static let assembled: Result<[String: [UInt8]], PayloadError> = Result { () throws(PayloadError) in try assembleAll() }

    struct PayloadError: Error, CustomStringConvertible {
        var description: String
    }

    static func payload(_ name: String) throws -> [UInt8] {
        guard let bytes = try assembled.get()[name] else { throw PayloadError(description: "no payload \(name).S") }
        return bytes
    }

    private static func assembleAll() throws(PayloadError) -> [String: [UInt8]] {
        guard let assembler = tool("as"), let objcopy = tool("objcopy") else { throw PayloadError(description: "as/objcopy missing") }
        let output = NSTemporaryDirectory() + "vmctl-kvm-payloads-\(UUID().uuidString.prefix(8))"
        do {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: output) }
            var result: [String: [UInt8]] = [:]
            for file in try FileManager.default.contentsOfDirectory(atPath: payloadFolder) where file.hasSuffix(".S") {
                let name = String(file.dropLast(2))
                let object = "\(output)/\(name).o", binary = "\(output)/\(name).bin"
                try run(assembler, ["--64", "-o", object, "\(payloadFolder)/\(file)"])
                try run(objcopy, ["-O", "binary", object, binary])
                result[name] = [UInt8](try Data(contentsOf: URL(fileURLWithPath: binary)))
            }
            return result
        } catch let error as PayloadError {
            throw error
        } catch {
            throw PayloadError(description: "assembling payloads: \(error)")
        }
    }

    private static func run(_ program: String, _ arguments: [String]) throws(PayloadError) {
        do throws(HostTools.Failure) { try HostTools.run(program, arguments) } catch { throw PayloadError(description: error.description) }
    }

    /// A VM with `ramSize` bytes of RAM at 0, the TSS set, and vCPU 0. Without `irqchip` HLT exits; with it the
    /// VM also gets the identity-map page, the in-kernel irqchip and PIT2, as the VMM sets them up.
    struct Machine {
        let system: KVMSystem
        let vm: VirtualMachine
        let ram: GuestRAM
        let vcpu: VCPU
    }

    static func machine(ramSize: UInt64 = 16 << 20, irqchip: Bool = false) throws -> Machine {
        let system = try KVMSystem()
        let vm = try system.createVM()
        try vm.setTSSAddress()
        if irqchip {
            try vm.setIdentityMapAddress(0xFFFB_C000)
            try vm.createIRQChip()
            try vm.createPIT2()
        }
        let ram = try GuestRAM(size: ramSize)
        try vm.map(ram)
        let vcpu = try vm.createVCPU(id: 0)
        return Machine(system: system, vm: vm, ram: ram, vcpu: vcpu)
    }

    /// Real mode at 0x1000 with flat segments at base 0.
    static func enterRealMode(_ machine: Machine, payload: [UInt8], at address: UInt64 = 0x1000) throws {
        try machine.ram.writeBytes(GuestAddress(address), payload)
        var special = try machine.vcpu.specialRegisters()
        special.cs.base = 0
        special.cs.selector = 0
        try machine.vcpu.setSpecialRegisters(special)
        var registers = Registers()
        registers.rip = address
        try machine.vcpu.setRegisters(registers)
    }

    /// The 64-bit entry state the VMM uses for Linux (vmm-facts.md §3 step 4): LongModeSetup's GDT, IDT and
    /// identity page tables in guest RAM, sregs built from them, RIP = `entry`, RSP = RBP = 0x8FF0.
    static let longModeEntry: UInt64 = 0x10_0000

    static func enterLongMode(_ machine: Machine, payload: [UInt8], entry: UInt64 = longModeEntry) throws {
        try LongModeSetup.write(into: machine.ram)
        try machine.ram.writeBytes(GuestAddress(entry), payload)
        var special = try machine.vcpu.specialRegisters()
        try special.configureLongMode(
            gdt: DescriptorTable(base: LongModeSetup.gdtAddress.value, limit: LongModeSetup.gdtLimit),
            gdtEntries: LongModeSetup.gdt, codeSelector: LongModeSetup.codeSelector,
            dataSelector: LongModeSetup.dataSelector, tssSelector: LongModeSetup.tssSelector,
            idt: DescriptorTable(base: LongModeSetup.idtAddress.value, limit: LongModeSetup.idtLimit),
            pageTableRoot: LongModeSetup.cr3, cr0Set: LongModeSetup.cr0Set, cr4Set: LongModeSetup.cr4Set,
            eferSet: LongModeSetup.eferSet)
        try machine.vcpu.setSpecialRegisters(special)
        try machine.vcpu.setFPU(FPUState())
        var registers = Registers()
        registers.rip = entry
        registers.rsp = LongModeSetup.stackPointer
        registers.rbp = LongModeSetup.stackPointer
        try machine.vcpu.setRegisters(registers)
    }

    /// Runs until an exit other than port output, collecting bytes written per port. Gives up after `limit` exits.
    static func runCollectingOutput(_ vcpu: VCPU, limit: Int = 10_000) throws -> (output: [UInt16: [UInt8]], last: VMExit) {
        var output: [UInt16: [UInt8]] = [:]
        for _ in 0..<limit {
            let exit = try vcpu.run()
            guard case let .ioOut(port, _, _, data) = exit else { return (output, exit) }
            output[port, default: []] += data
        }
        throw PayloadError(description: "no terminating exit after \(limit) exits")
    }
}
