import CFuzzerDriver
import Manifest
import VMCtlModel

// libFuzzer entry point. Built with -parse-as-library: libFuzzer supplies main().
//
// Every input is loaded twice:
//  1. as one source;
//  2. split into two sources, so multi-file merging (a Stack in one file, its VMs/networks/volumes in another,
//     duplicate names across files, a syntax error in only one of them) is exercised. The split point is the first
//     NUL byte if there is one (the fuzzer controls it; NUL is removed), else the start of the first `---` line,
//     else the middle.
// Besides crashes, hangs (libFuzzer -timeout) and memory blow-ups (-rss_limit_mb), it checks the result contract:
// a valid result has a stack and no errors, an invalid one has at least one error and no stack, and every
// diagnostic has a 1-based position in a file that was given.

private let env: [String: String] = [
    "CPUS": "2",
    "MEM": "512MiB",
    "NAME": "web",
    "SUBNET": "10.9.0.0/24",
    "EMPTY": "",
]
private let host = HostFacts(cpus: 8, memory: .gib(16))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []

    check(ManifestLoader.load([ManifestSource(name: "a.yaml", baseDirectory: "/fuzz", bytes: bytes)], env: env, host: host),
          files: ["a.yaml"])

    let (first, second) = split(bytes)
    check(ManifestLoader.load([ManifestSource(name: "a.yaml", baseDirectory: "/fuzz", bytes: first),
                               ManifestSource(name: "b.yaml", baseDirectory: "/fuzz/b", bytes: second)],
                              env: env, host: host),
          files: ["a.yaml", "b.yaml"])
    return 0
}

private func split(_ bytes: [UInt8]) -> ([UInt8], [UInt8]) {
    if let nul = bytes.firstIndex(of: 0) {
        return (Array(bytes[..<nul]), Array(bytes[(nul + 1)...]))
    }
    let marker: [UInt8] = Array("\n---".utf8)
    if bytes.count > marker.count {
        for start in 0...(bytes.count - marker.count) where bytes[start] == 0x0A {
            if Array(bytes[start..<(start + marker.count)]) == marker {
                return (Array(bytes[...start]), Array(bytes[(start + 1)...]))
            }
        }
    }
    let middle = bytes.count / 2
    return (Array(bytes[..<middle]), Array(bytes[middle...]))
}

private func check(_ result: ManifestResult, files: Set<String>) {
    if result.isValid {
        precondition(result.stack != nil && !result.diagnostics.hasErrors, "valid result without a stack or with errors")
    } else {
        precondition(result.diagnostics.hasErrors, "invalid result without an error diagnostic")
        precondition(result.stack == nil, "invalid result with a stack")
    }
    for diagnostic in result.diagnostics {
        precondition(files.contains(diagnostic.location.file), "diagnostic in unknown file \(diagnostic.location.file)")
        precondition(diagnostic.location.line >= 1 && diagnostic.location.column >= 1,
                     "diagnostic at \(diagnostic.location.line):\(diagnostic.location.column)")
        precondition(!diagnostic.message.isEmpty, "empty diagnostic message")
    }
}

/// SwiftPM links executables on Linux with `--defsym main=ManifestFuzz_main` (so tests can link them); with
/// -parse-as-library no such symbol is emitted, so define it and hand over to libFuzzer's own driver.
@_cdecl("ManifestFuzz_main")
public func manifestFuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzTestOneInput(data, size) }
}
