import Dispatch
import Synchronization

/// Work splitting across cores. Parallelism is over coarse units (images, channels,
/// rows of output), never single pixels.
public enum Parallel {
    private static let configuredThreads = Atomic<Int>(0)

    /// Threads used by GeoLens kernels; defaults to the number of active cores.
    public static var threadCount: Int {
        let n = configuredThreads.load(ordering: .relaxed)
        return n > 0 ? n : ProcessInfoCores.active
    }

    /// Sets the thread count for GeoLens kernels (`--threads`). OpenBLAS stays at one thread:
    /// GeoLens splits GEMM work into units itself.
    public static func setThreadCount(_ n: Int) {
        precondition(n >= 1, "Parallel.setThreadCount: thread count must be at least 1, got \(n)")
        configuredThreads.store(n, ordering: .relaxed)
    }

    /// Calls `body(i)` for every `i` in `0..<count`, spread over `threadCount` workers.
    /// Runs inline when there is one item, one thread, or less than `minimumWork` items per thread.
    public static func forEach(_ count: Int, minimumWork: Int = 1, _ body: (Int) -> Void) {
        let threads = Swift.min(threadCount, count / Swift.max(minimumWork, 1))
        if threads <= 1 {
            for i in 0..<count { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: threads) { worker in
                let start = count * worker / threads
                let end = count * (worker + 1) / threads
                for i in start..<end { box.value(i) }
            }
        }
    }
}

/// Wraps a value that is safe to share because the code using it never mutates shared state
/// (each worker writes a disjoint slice of the output).
@usableFromInline
struct UncheckedSendable<Value>: @unchecked Sendable {
    @usableFromInline let value: Value
    @usableFromInline init(_ value: Value) { self.value = value }
}

enum ProcessInfoCores {
    static let active: Int = {
        #if os(Linux)
        return Swift.max(1, Int(sysconfNprocs()))
        #else
        return 1
        #endif
    }()
}

#if os(Linux)
import Glibc
private func sysconfNprocs() -> Int { sysconf(Int32(_SC_NPROCESSORS_ONLN)) }
#endif
