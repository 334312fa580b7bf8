#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value guarded by a pthread mutex: the lock GeoLens uses for its shared caches, pools and
/// registries.
///
/// It takes the place of the standard library's `Synchronization.Mutex`, whose Linux
/// implementation waits on futexes inside the uninstrumented runtime, so ThreadSanitizer cannot see
/// its happens-before edges and reports every access it guards as a race. pthread mutexes are
/// intercepted by the sanitizers, so `make test-tsan` checks the code they protect.
public final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init(_ value: Value) {
        self.value = value
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value.
    public func withLock<R, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
