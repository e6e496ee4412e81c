import Foundation
import Testing
import VMCtlModel
@testable import Images

@Suite("ImageStore.import reports how far its copy is")
struct ImportProgressTests {
    @Test("a sparse 64 MiB image: (0, total) first, then rising byte counts over holes and data, ending at (total, total); the fast path reports nothing")
    func progressOfACopy() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let source = scratch.path("sparse.img")
        try Host.sparseRaw(source, size: 64 << 20, data: [0, 32 << 20, (64 << 20) - 4096])
        var reports: [(UInt64, UInt64)] = []
        let stored = try scratch.store.import(path: source) { reports.append(($0, $1)) }
        #expect(stored.digest == (try Host.sha256sum(source)))
        let total = UInt64(64 << 20)
        #expect(reports.first.map { $0 == (0, total) } == true, "\(reports)")
        #expect(reports.last.map { $0 == (total, total) } == true, "\(reports)")
        #expect(reports.allSatisfy { $0.1 == total && $0.0 <= total })
        #expect(zip(reports, reports.dropFirst()).allSatisfy { $0.0 <= $1.0 }, "never backwards: \(reports.map(\.0))")
        #expect(reports.count >= 4, "holes and chunks each report: \(reports.map(\.0))")

        var again = 0
        #expect(try scratch.store.import(path: source) { _, _ in again += 1 } == stored)
        #expect(again == 0, "an unchanged file is not read, so nothing is copied or reported")
    }
}
