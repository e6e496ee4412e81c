import Foundation
import VMCtlModel

/// Supplies what really exists for a stack: live from VMM processes (`StackRuntime`), or a recorded snapshot.
public protocol ObservedStateSource {
    func observe(stack: String) throws -> ObservedState
}

/// A recorded snapshot of observed state (JSON), for "what if" planning and tests; the live source is
/// `StackRuntime`.
public struct RecordedStateSource: ObservedStateSource {
    public var file: String

    public init(file: String) { self.file = file }

    public func observe(stack: String) throws -> ObservedState { try Self.read(file, stack: stack) }

    public static func read(_ path: String, stack: String) throws -> ObservedState {
        guard FileManager.default.fileExists(atPath: path) else {
            throw RuntimeError.unreadableState(file: path, reason: "no such file")
        }
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
