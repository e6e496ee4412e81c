/// What a VMM implements to answer control commands. The server calls it from one thread per connection,
/// so implementations must be thread-safe. A thrown `ControlError` goes back to the client as is.
public protocol ControlHandler: Sendable {
    /// Carries out `command` and returns its result: `.description` for describe, `.stats` for stats,
    /// `.consoleInput` for console-input, `.done` for everything else (a mismatch is answered with `failed`).
    /// Commands that end the VM (power-off, shutdown) should start the work and return; the process must
    /// not exit before `responseSent(for:)`.
    func handle(_ command: ControlCommand) throws(ControlError) -> ControlResult

    /// Called after the response to `command` was written (or could not be). A VMM that exits on power-off
    /// does it from here, so the client always reads its answer first.
    func responseSent(for command: ControlCommand, outcome: Result<ControlResult, ControlError>)
}

extension ControlHandler {
    public func responseSent(for command: ControlCommand, outcome: Result<ControlResult, ControlError>) {}
}
