import VMMDevices

/// What the checks need of VirtioConsole's internal state, read by reflection: the release build the fuzzer uses
/// has no testable import, and the harness must not widen the device's API. A renamed property traps here by name,
/// so a check can never pass silently because its field went away.
struct ConsoleView {
    let mirror: Mirror

    init(_ console: VirtioConsole) { mirror = Mirror(reflecting: console) }

    private func field<T>(_ name: String, as _: T.Type) -> T {
        guard let value = mirror.descendant(name) as? T else {
            fatalError("VirtqueueFuzz: VirtioConsole has no \(name) of type \(T.self) (renamed? update ConsoleView)")
        }
        return value
    }

    /// Device → driver control messages waiting for control receive buffers (`controlPending`).
    var pendingControl: Int { field("controlPending", as: [VirtioConsoleControl].self).count }

    /// The queues the device was activated with (`queues`): their layouts are what it really uses.
    var queues: [SplitVirtqueue?] { field("queues", as: [SplitVirtqueue?].self) }
}
