import Glibc

/// A pthread mutex guarding a value: the few mutable fields KVM objects share across threads.
/// Owns the heap-allocated pthread_mutex_t (it must not move) and destroys it in deinit.
final class Lock<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    init(_ value: Value) {
        self.value = value
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        // Freshly allocated, uninitialized storage for exactly one mutex; default attributes cannot fail.
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        // No thread can hold the lock once the last reference is gone.
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access. @unchecked Sendable is sound because `value` is only touched here.
    func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
