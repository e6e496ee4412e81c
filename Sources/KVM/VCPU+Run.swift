import CKVM
import Glibc

extension VCPU {
    /// KVM_RUN until the guest needs the VMM, decoded into a `VMExit`. EAGAIN is retried.
    public func run() throws(KVMError) -> VMExit {
        pendingRead = nil
        while true {
            let result = ckvm_ioctl_none(fd, CKVM_RUN, 0)
            if result == -EINTR {
                _ = ckvm_run_take_immediate_exit(mapping.run)
                return .interrupted
            }
            if result == -EAGAIN { continue }
            _ = try checkIoctl(result, "KVM_RUN")
            return try decodeExit()
        }
    }

    /// Supplies the value of the pending `.ioIn` or `.mmioRead` (little-endian, as the guest sees it):
    /// writes it into kvm_run, where KVM picks it up on the next `run()`. Shorter data is zero-padded.
    public func completeRead(_ data: [UInt8]) throws(KVMError) {
        guard let pending = pendingRead else { throw KVMError.invalidArgument("completeRead without a pending I/O or MMIO read") }
        guard data.count <= pending.length else {
            throw KVMError.invalidArgument("\(data.count) bytes for a read of \(pending.length)")
        }
        guard let target = mapping.bytes(at: pending.offset, length: pending.length) else {
            throw KVMError.corruptExit("read data outside kvm_run")
        }
        // `target` covers pending.length bytes inside the mapping (checked by bytes(at:length:)), and
        // data.count <= pending.length.
        data.withUnsafeBytes { source in
            target.initializeMemory(as: UInt8.self, repeating: 0, count: pending.length)
            if let base = source.baseAddress { target.copyMemory(from: base, byteCount: data.count) }
        }
    }

    /// `completeRead` with an integer, truncated to the access width.
    public func completeRead(value: UInt64) throws(KVMError) {
        guard let pending = pendingRead else { throw KVMError.invalidArgument("completeRead without a pending I/O or MMIO read") }
        let bytes = (0..<min(pending.length, 8)).map { UInt8(truncatingIfNeeded: value >> UInt64($0 * 8)) }
        try completeRead(bytes)
    }

    private func decodeExit() throws(KVMError) -> VMExit {
        let run = mapping.run
        let reason = ckvm_run_exit_reason(run)
        switch Int32(reason) {
        case KVM_EXIT_IO:
            return try decodeIO(ckvm_run_io(run))
        case KVM_EXIT_MMIO:
            return try decodeMMIO(ckvm_run_mmio(run))
        case KVM_EXIT_HLT:
            return .hlt
        case KVM_EXIT_SHUTDOWN:
            return .shutdown
        case KVM_EXIT_SYSTEM_EVENT:
            let event = ckvm_run_system_event(run)
            switch Int32(event.type) {
            case KVM_SYSTEM_EVENT_SHUTDOWN: return .systemEvent(.shutdown)
            case KVM_SYSTEM_EVENT_RESET: return .systemEvent(.reset)
            case KVM_SYSTEM_EVENT_CRASH: return .systemEvent(.crash)
            default: return .systemEvent(.other(type: event.type, data: event.ndata > 0 ? event.data0 : 0))
            }
        case KVM_EXIT_INTERNAL_ERROR:
            var failure = ckvm_run_internal_error(run)
            let count = Int(failure.ndata)
            // ckvm_run_internal_error clamps ndata to the 16-entry array it copied.
            let data = withUnsafeBytes(of: &failure.data) { Array($0.bindMemory(to: UInt64.self).prefix(count)) }
            return .internalError(suberror: failure.suberror, data: data)
        case KVM_EXIT_FAIL_ENTRY:
            let fail = ckvm_run_fail_entry(run)
            return .failEntry(reason: fail.hardware_entry_failure_reason, cpu: fail.cpu)
        case KVM_EXIT_INTR:
            return .interrupted
        default:
            return .unknown(reason: reason, hardwareReason: reason == UInt32(KVM_EXIT_UNKNOWN) ? ckvm_run_hardware_exit_reason(run) : 0)
        }
    }

    private func decodeIO(_ io: ckvm_io_exit) throws(KVMError) -> VMExit {
        let size = Int(io.size)
        let count = Int(io.count)
        guard [1, 2, 4].contains(size), count >= 1, count <= mapping.size else {
            throw KVMError.corruptExit("I/O exit with size \(size) and count \(count)")
        }
        let length = size * count
        guard let data = mapping.bytes(at: io.data_offset, length: length) else {
            throw KVMError.corruptExit("I/O data at offset \(io.data_offset) (+\(length)) outside kvm_run")
        }
        if io.direction == UInt8(KVM_EXIT_IO_OUT) {
            // bytes(at:length:) checked that `length` bytes at `data` lie inside the mapping.
            let bytes = Array(UnsafeRawBufferPointer(start: data, count: length))
            return .ioOut(port: io.port, size: size, count: count, data: bytes)
        }
        // Unanswered reads return zeros: clear what KVM will copy back into the guest.
        // bytes(at:length:) checked that `length` bytes at `data` lie inside the mapping.
        data.initializeMemory(as: UInt8.self, repeating: 0, count: length)
        pendingRead = (io.data_offset, length)
        return .ioIn(port: io.port, size: size, count: count)
    }

    private func decodeMMIO(_ mmio: ckvm_mmio_exit) throws(KVMError) -> VMExit {
        let length = Int(mmio.len)
        guard (1...8).contains(length) else { throw KVMError.corruptExit("MMIO exit with length \(length)") }
        let dataPointer = ckvm_run_mmio_data(mapping.run)
        // mmio.data is an 8-byte array inside the mapping and length <= 8.
        let offset = UInt64(UInt(bitPattern: dataPointer) - UInt(bitPattern: mapping.run))
        if mmio.is_write != 0 {
            // See above: 8 valid bytes at dataPointer, length <= 8.
            return .mmioWrite(address: mmio.phys_addr, data: Array(UnsafeBufferPointer(start: dataPointer, count: length)))
        }
        // See above: 8 valid bytes at dataPointer.
        dataPointer.initialize(repeating: 0, count: 8)
        pendingRead = (offset, length)
        return .mmioRead(address: mmio.phys_addr, length: length)
    }
}
