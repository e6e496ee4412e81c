extension ControlServer {
    /// One connection: read lines, answer each in order, until the client closes, idles out or stops
    /// reading. Nothing a client sends ends anything but its own connection.
    func serve(_ socket: UnixStreamSocket) {
        var lines = LineBuffer(limit: ControlProtocol.maxRequestBytes)
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var lineStarted = MonotonicInstant.now
        while true {
            while let event = lines.next() {
                guard answer(event, on: socket) else { return }
            }
            let deadline = lines.hasPartialLine ? lineStarted + options.lineTimeout : .now + options.idleTimeout
            let count: Int?
            do { count = try socket.read(into: &buffer, deadline: deadline) } catch {
                if case .timeout = error, lines.hasPartialLine {
                    let failure = ControlError(.badRequest, "request line not finished within \(options.lineTimeout); closing")
                    _ = send(.failure(id: nil, failure), on: socket)
                }
                return
            }
            guard let count else { return }
            if !lines.hasPartialLine { lineStarted = .now }
            lines.append(buffer[..<count])
        }
    }

    /// Answers one line; false when the connection is no longer usable.
    private func answer(_ event: LineBuffer.Event, on socket: UnixStreamSocket) -> Bool {
        switch event {
        case .tooLong:
            let error = ControlError(.requestTooLarge, "request line exceeds \(ControlProtocol.maxRequestBytes) bytes; skipped to its newline")
            return send(.failure(id: nil, error), on: socket)
        case .line(let bytes):
            switch ControlRequest.parse(bytes) {
            case .failure(let failure):
                return send(.failure(id: failure.id, failure.error), on: socket)
            case .success(let request):
                let outcome = dispatch(request.command)
                let sent = send(ControlResponse(id: request.id, outcome: outcome), on: socket)
                handler.responseSent(for: request.command, outcome: outcome)
                return sent
            }
        }
    }

    private func dispatch(_ command: ControlCommand) -> Result<ControlResult, ControlError> {
        do {
            let result = try handler.handle(command)
            guard result.matches(command.name) else {
                return .failure(ControlError(.failed, "VMM bug: \(command.name.rawValue) produced a result of another command"))
            }
            return .success(result)
        } catch {
            return .failure(error)
        }
    }

    private func send(_ response: ControlResponse, on socket: UnixStreamSocket) -> Bool {
        do {
            try socket.write(try ControlCodec.line(response), deadline: .now + options.writeTimeout)
            return true
        } catch {
            return false
        }
    }
}
