import Foundation

/// Where the handler writes: a signal handler may call little more than write(2), so it cannot reach an object.
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1

/// While it lives, each of the given signals arrives as one byte (its number) on `readEnd`, for a poll loop
/// to act on, and SIGPIPE is ignored (a closed output is an error to handle, not a reason to die with the
/// terminal still raw). Released, the previous handlers come back. One at a time per process.
final class SignalPipe {
    let readEnd: Int32
    private let writeEnd: Int32
    private var previous: [(signal: Int32, handler: __sighandler_t?)] = []

    init(forwarding signals: [Int32]) {
        var ends: [Int32] = [-1, -1]
        if pipe(&ends) == 0 {
            // Non-blocking: a handler must never wait on a full pipe, and the reader drains it whole.
            for end in ends {
                _ = fcntl(end, F_SETFD, FD_CLOEXEC)
                _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            }
        }
        readEnd = ends[0]
        writeEnd = ends[1]
        signalPipeWriteEnd = writeEnd
        let forward: @convention(c) (Int32) -> Void = { signal in
            let saved = errno
            var byte = UInt8(truncatingIfNeeded: signal)
            _ = write(signalPipeWriteEnd, &byte, 1)
            errno = saved
        }
        for signal in signals { previous.append((signal, Glibc.signal(signal, forward))) }
        previous.append((SIGPIPE, Glibc.signal(SIGPIPE, SIG_IGN)))
    }

    deinit {
        for (signal, handler) in previous.reversed() { _ = Glibc.signal(signal, handler) }
        signalPipeWriteEnd = -1
        if readEnd >= 0 { close(readEnd) }
        if writeEnd >= 0 { close(writeEnd) }
    }
}
