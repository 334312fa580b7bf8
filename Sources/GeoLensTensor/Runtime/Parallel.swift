import Dispatch
import Synchronization

/// Work splitting across cores. Parallelism is over coarse units (images, channels,
/// rows of output), never single pixels.
public enum Parallel {
    private static let configuredThreads = Atomic<Int>(0)
    /// The thread count for the code inside `withThreadCount(_:_:)`.
    @TaskLocal private static var override: Int?

    /// Threads used by GeoLens kernels; defaults to the number of active cores.
    public static var threadCount: Int {
        if let override { return override }
        let n = configuredThreads.load(ordering: .relaxed)
        return n > 0 ? n : ProcessInfoCores.active
    }

    /// Runs `body` with kernels on exactly `threads` threads (on this thread only), whatever
    /// `setThreadCount` chose: the workers of `sliceBatch`, and tests that compare thread counts.
    public static func withThreadCount<R>(_ threads: Int, _ body: () throws -> R) rethrows -> R {
        precondition(threads >= 1, "Parallel.withThreadCount: thread count must be at least 1, got \(threads)")
        return try $override.withValue(threads, operation: body)
    }

    /// How `sliceBatch` divides `count` images: `threadCount` equal contiguous slices that run at
    /// once, each on one thread, then the leftover images (fewer than `threadCount`) as one slice
    /// that runs alone with every thread. Empty when the batch is not worth splitting.
    public static func batchSlices(_ count: Int) -> (concurrent: [Range<Int>], rest: Range<Int>?) {
        let threads = threadCount
        guard threads > 1, count >= threads else { return ([], nil) }
        let each = count / threads
        let concurrent = (0..<threads).map { $0 * each..<($0 + 1) * each }
        let covered = threads * each
        return (concurrent, covered < count ? covered..<count : nil)
    }

    /// Runs `body` on contiguous slices of a batch of `count` images (`batchSlices`): equal
    /// slices at once with single-threaded kernels, the leftover slice after with all threads.
    /// `body` receives the slice and returns its result; results come back in batch order.
    /// Whole-image parallelism keeps both cores busy through the small, barrier-bound layers
    /// of a network. Returns nil when the batch is too small to split (call the whole batch).
    public static func sliceBatch<R>(_ count: Int, _ body: (Range<Int>) -> R) -> [R]? {
        let (concurrent, rest) = batchSlices(count)
        guard !concurrent.isEmpty else { return nil }
        var results = [R?](repeating: nil, count: concurrent.count)
        results.withUnsafeMutableBufferPointer { slots in
            let output = UncheckedSendable(slots)
            withoutActuallyEscaping(body) { body in
                let box = UncheckedSendable(body)
                AllocationScope.suspended {
                    DispatchQueue.concurrentPerform(iterations: concurrent.count) { worker in
                        let result = withThreadCount(1) { box.value(concurrent[worker]) }
                        output.value[worker] = result
                    }
                }
            }
        }
        var ordered = results.map { $0! }
        if let rest { ordered.append(body(rest)) }
        return ordered
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
            // Which items the calling thread takes depends on timing: its allocations there
            // cannot follow a memory plan.
            AllocationScope.suspended {
                DispatchQueue.concurrentPerform(iterations: threads) { worker in
                    let start = count * worker / threads
                    let end = count * (worker + 1) / threads
                    for i in start..<end { box.value(i) }
                }
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
