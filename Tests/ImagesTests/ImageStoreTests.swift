import Testing
@testable import Images

@Suite struct ImageStoreTests {
    @Test func rootIsKept() { #expect(ImageStore(root: "/x").root == "/x") }
}
