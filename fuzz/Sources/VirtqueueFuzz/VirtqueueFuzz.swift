import CFuzzerDriver
#if canImport(Glibc)
import Glibc
#endif
import VMMDevices

// libFuzzer entry point for the split virtqueue, the virtio-mmio transport and the virtio-blk request parser
// (virtio-console with one flag). Built with -parse-as-library: libFuzzer supplies main().
//
// Input: a 4-byte config, a guest memory image, then operations (see `FuzzInput` and `FuzzMachine`).
// Besides crashes and hangs (libFuzzer -timeout) it checks that the device never touches the disk outside its
// bounds or writes a read-only disk (`CheckedBackend`), and the transport/device invariants in `FuzzMachine.check`.

@_cdecl("LLVMFuzzerTestOneInput")
public func virtqueueFuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    var input = FuzzInput(bytes)
    let machine = FuzzMachine(config: FuzzConfig(&input))
    machine.loadImage(&input)
    machine.probe()
    var steps = 0
    while !input.isAtEnd, steps < 512 {
        machine.step(&input)
        machine.check()
        steps += 1
    }
    if verbose { machine.report() }
    return 0
}

/// VIRTQUEUE_FUZZ_VERBOSE=1 prints what each input did (for checking seeds and reproducing findings).
private let verbose = getenv("VIRTQUEUE_FUZZ_VERBOSE") != nil

/// SwiftPM links executables on Linux with `--defsym main=VirtqueueFuzz_main`; with -parse-as-library no such
/// symbol is emitted, so define it and hand over to libFuzzer's own driver.
@_cdecl("VirtqueueFuzz_main")
public func virtqueueFuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in virtqueueFuzzTestOneInput(data, size) }
}
