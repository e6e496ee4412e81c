import Glibc
import VMMControl

/// Joinable POSIX threads for the VMM (the VMM stack has no Foundation `Thread`), over VMMControl's launcher.
enum Threads {
    /// Starts `body` on a new joinable thread; join it with `join`.
    static func start(_ what: String, _ body: @escaping @Sendable () -> Void) throws(VMMError) -> pthread_t {
        do throws(VMMControlError) {
            return try ThreadLauncher.start(what, joinable: true, body)
        } catch {
            guard case .thread(_, let code) = error else { throw .system("pthread_create(\(what))", EAGAIN) }
            throw .system("pthread_create(\(what))", code)
        }
    }

    static func join(_ thread: pthread_t) {
        pthread_join(thread, nil)
    }
}
