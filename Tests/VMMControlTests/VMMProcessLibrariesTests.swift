import Foundation
import Testing
import VMMControl

/// The VMM process loads the Swift core library, Glibc and Synchronization and nothing heavier (architecture.md
/// rule 11; each of these costs every VM process start-up time and memory, bench/README.md, vmctl-vmm).
@Suite("vmctl-vmm loads no Foundation, dispatch, concurrency or regex libraries")
struct VMMProcessLibrariesTests {
    static let forbidden = ["libFoundation", "libdispatch", "libswift_Concurrency", "libswift_StringProcessing", "libswift_RegexParser",
                            "libBlocksRuntime"]

    @Test("the libraries mapped while it waits for its launch spec on stdin")
    func mappedLibraries() throws {
        let process = Process()
        process.executableURL = VMMBinaryTests.binary
        process.arguments = ["-"]
        let input = Pipe()
        process.standardInput = input
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            try? input.fileHandleForWriting.close()   // empty spec: it exits 1
            process.waitUntilExit()
        }
        // Its own code runs once ld.so has mapped every needed library (none in a release build, which is linked
        // statically); then it waits in read(2) on stdin.
        let deadline = Date().addingTimeInterval(10)
        while !Self.isReadingStdin(process.processIdentifier), Date() < deadline { usleep(2_000) }
        let maps = Self.read("/proc/\(process.processIdentifier)/maps")
        #expect(maps.contains(VMMBinaryTests.binary.lastPathComponent))
        let libraries = Set(maps.split(separator: "\n").compactMap { $0.split(separator: "/").last.map(String.init) }
            .filter { $0.hasPrefix("lib") })
        let loaded = libraries.filter { library in Self.forbidden.contains { library.hasPrefix($0) } }
        #expect(loaded.isEmpty, "vmctl-vmm maps \(loaded.sorted())")
    }

    /// Whether the process is in read(2) on fd 0 (/proc/PID/syscall: number 0, first argument 0x0).
    static func isReadingStdin(_ pid: Int32) -> Bool {
        read("/proc/\(pid)/syscall").hasPrefix("0 0x0 ")
    }

    /// The whole of a /proc file (they report size 0, and `String(contentsOfFile:)` stops after the first page).
    static func read(_ path: String) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = Glibc.read(fd, &chunk, chunk.count)
            if count <= 0 { break }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
