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
        // Its own code runs once ld.so has mapped every needed library; a moment later it blocks in read(2).
        var maps = ""
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            maps = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/maps", encoding: .utf8)) ?? ""
            if maps.contains("libswiftCore.so"), Self.isSleeping(process.processIdentifier) { break }
            usleep(2_000)
        }
        #expect(maps.contains("libswiftCore.so"))
        let libraries = Set(maps.split(separator: "\n").compactMap { $0.split(separator: "/").last.map(String.init) }
            .filter { $0.hasPrefix("lib") })
        let loaded = libraries.filter { library in Self.forbidden.contains { library.hasPrefix($0) } }
        #expect(loaded.isEmpty, "vmctl-vmm maps \(loaded.sorted())")
    }

    /// Whether the process sleeps (state S in /proc/PID/stat): with its libraries mapped, that is the read(2)
    /// of its stdin.
    static func isSleeping(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = stat.range(of: ") ", options: .backwards) else { return false }
        return stat[end.upperBound...].hasPrefix("S")
    }
}
