import Glibc

/// Starts POSIX threads running Swift closures (FoundationEssentials has no Thread).
public enum ThreadLauncher {
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// Starts `body` on a new thread. Joinable threads must be joined with `pthread_join`; others are detached.
    public static func start(_ operation: String, joinable: Bool, _ body: @escaping @Sendable () -> Void) throws(VMMControlError) -> pthread_t {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { raw in
            // `raw` is the retained Body passed below; taking it back balances passRetained.
            guard let raw else { return nil }
            Unmanaged<Body>.fromOpaque(raw).takeRetainedValue().run()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            throw .thread(operation: operation, errno: result)
        }
        if !joinable { pthread_detach(thread) }
        return thread
    }
}
