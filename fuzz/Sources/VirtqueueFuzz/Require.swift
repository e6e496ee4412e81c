/// A check that keeps its message in release builds (`precondition` drops it under -O), so a finding says which
/// rule the device broke.
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("VirtqueueFuzz: " + message()) }
}
