import Foundation
import VMCtlModel

/// Supplies what really exists for a stack. The runtime reads it live from VMM processes; until then,
/// and in tests, it comes from a recorded snapshot.
public protocol ObservedStateSource {
    func observe(stack: String) throws -> ObservedState
}

/// Reads `<state-dir>/stacks/<stack>/state.json`; a missing file means nothing exists yet.
public struct RecordedStateSource: ObservedStateSource {
    public var directory: StateDirectory

    public init(directory: StateDirectory) { self.directory = directory }

    public func file(for stack: String) -> String { directory.stackFolder(stack) + "/state.json" }

    public func observe(stack: String) throws -> ObservedState {
        let path = file(for: stack)
        guard FileManager.default.fileExists(atPath: path) else { return .empty(stack) }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let state = try JSONDecoder().decode(ObservedState.self, from: data)
            guard state.stack == stack else {
                throw RuntimeError.unreadableState(file: path, reason: "it belongs to stack '\(state.stack)', not '\(stack)'")
            }
            return state
        } catch let error as RuntimeError {
            throw error
        } catch {
            throw RuntimeError.unreadableState(file: path, reason: "\(error)")
        }
    }
}
