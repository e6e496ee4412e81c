import Testing
@testable import Provisioning

@Suite struct NoCloudSeedTests {
    @Test func placeholder() { #expect(String(describing: NoCloudSeed.self) == "NoCloudSeed") }
}
