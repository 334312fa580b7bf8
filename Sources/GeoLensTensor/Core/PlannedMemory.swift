#if canImport(Glibc)
import Glibc
#endif

/// Planned memory for the tensors of a repeated computation (one forward pass of a graph for a
/// given set of input shapes), as onnxruntime plans its activations.
///
/// The first run with a key records every large tensor allocation made on its thread: its size
/// and when it was allocated and freed. Allocations freed before the run returns get offsets in
/// one arena, so that tensors whose lifetimes overlap never share bytes (greedy by size, as
/// TFLite's planner); the arena is about the size of the largest set of tensors alive at once.
/// Later runs with the same key take their tensors from the arena in the same order. The heap
/// then never sees the activations, so freed ones cannot stay resident as fragments of glibc's
/// per-thread arenas (what made a 77 MB model's eval peak at 400+ MB), and no page is faulted in
/// twice.
///
/// Serving is checked, never assumed: an allocation whose size differs from the plan's, or whose
/// planned bytes overlap a tensor still alive (an output kept from an earlier run, a tensor a
/// caller held on to), comes from the heap instead. A run whose allocation sizes diverge from
/// the plan's makes the next run with that key record again.
///
/// Concurrent runs (the workers of `Parallel.sliceBatch`) each take an arena of their own.
/// Allocations inside `Parallel.forEach` workers and on other threads are not planned.
public final class PlannedMemory: @unchecked Sendable {
    /// Allocations smaller than this many scalars come from the heap (they do not fragment it).
    public let minimumCount: Int
    private let state = Locked<State>(State())

    private struct State {
        var plans: [AnyHashable: Plan] = [:]
        var idleArenas: [Arena] = []
        /// Allocations served from arenas and from the heap by replayed runs so far.
        var served = 0, fellBack = 0
    }

    /// - Parameter minimumCount: the smallest allocation (in scalars) to plan; 8192 (32 KB) by default.
    public init(minimumCount: Int = 8192) {
        self.minimumCount = minimumCount
    }

    /// Runs `body` with the large tensor allocations it makes on this thread planned under `key`.
    public func run<R>(key: AnyHashable, _ body: () throws -> R) rethrows -> R {
        let plan = state.withLock { $0.plans[key] }
        guard let plan else {
            let recording = Recording(minimumCount: minimumCount)
            let result = try AllocationScope.with(recording, body)
            if let made = recording.finish() { state.withLock { $0.plans[key] = $0.plans[key] ?? made } }
            return result
        }
        let arena = checkOutArena(bytes: plan.bytes)
        let replay = Replay(plan: plan, arena: arena, minimumCount: minimumCount)
        defer {
            state.withLock { state in
                state.idleArenas.append(arena)
                state.served += replay.served
                state.fellBack += replay.fellBack
                if replay.diverged, state.plans[key] === plan { state.plans[key] = nil }
            }
        }
        return try AllocationScope.with(replay, body)
    }

    /// Bytes held by idle arenas (those no run has checked out), for tests and benchmarks.
    public var arenaBytes: Int {
        state.withLock { $0.idleArenas.reduce(0) { $0 + $1.bytes } }
    }

    /// Allocations replayed runs took from their arena, and planned ones that fell back to the heap.
    public var replayCounts: (served: Int, fellBack: Int) {
        state.withLock { ($0.served, $0.fellBack) }
    }

    /// The planned arena size for `key` in bytes, nil before its first run has finished.
    public func plannedBytes(for key: AnyHashable) -> Int? {
        state.withLock { $0.plans[key]?.bytes }
    }

    /// An idle arena of at least `bytes` (the largest idle one is grown if none is big enough).
    private func checkOutArena(bytes: Int) -> Arena {
        state.withLock { state in
            if let index = state.idleArenas.indices.filter({ state.idleArenas[$0].bytes >= bytes })
                .min(by: { state.idleArenas[$0].bytes < state.idleArenas[$1].bytes }) {
                return state.idleArenas.remove(at: index)
            }
            // Replace the largest idle arena that is too small (its live tensors keep it alive).
            if let index = state.idleArenas.indices.max(by: { state.idleArenas[$0].bytes < state.idleArenas[$1].bytes }) {
                state.idleArenas.remove(at: index)
            }
            return Arena(bytes: bytes)
        }
    }

    // MARK: Plans

    /// Where each recorded allocation goes: its scalar count and byte offset in the arena, or
    /// nil for allocations that outlived the recorded run (outputs), which stay on the heap.
    final class Plan: Sendable {
        let slots: [(count: Int, offset: Int?)]
        let bytes: Int
        init(slots: [(count: Int, offset: Int?)], bytes: Int) {
            self.slots = slots
            self.bytes = bytes
        }
    }

    /// Byte offsets for allocations with the given sizes and lifetimes `[start, end)`: the
    /// largest first, each at the lowest offset that does not overlap an allocation already
    /// placed whose lifetime overlaps its own. Returns the offsets and the arena size.
    static func placements(sizes: [Int], lifetimes: [Range<Int>]) -> (offsets: [Int], bytes: Int) {
        let order = sizes.indices.sorted { sizes[$0] != sizes[$1] ? sizes[$0] > sizes[$1] : $0 < $1 }
        var offsets = [Int](repeating: 0, count: sizes.count)
        var placed: [Int] = []
        var total = 0
        for i in order {
            let conflicts = placed.filter { lifetimes[$0].overlaps(lifetimes[i]) }
                .map { (offsets[$0], offsets[$0] + sizes[$0]) }
                .sorted { $0.0 < $1.0 }
            var offset = 0
            for (start, end) in conflicts {
                if start >= offset + sizes[i] { break }
                offset = Swift.max(offset, end)
            }
            offsets[i] = offset
            placed.append(i)
            total = Swift.max(total, offset + sizes[i])
        }
        return (offsets, total)
    }

    // MARK: Runs

    /// Records the allocations of a first run.
    final class Recording: AllocationSource, StorageRecycler, @unchecked Sendable {
        private struct Event { var count: Int; var allocated: Int; var freed: Int? }
        private let events = Locked<(records: [Event], clock: Int, finished: Bool)>(([], 0, false))
        let minimumCount: Int
        init(minimumCount: Int) { self.minimumCount = minimumCount }

        func allocate(count: Int) -> (UnsafeMutablePointer<Float>, AllocationSlot)? {
            let slot = events.withLock { state -> Int in
                state.records.append(Event(count: count, allocated: state.clock, freed: nil))
                state.clock += 1
                return state.records.count - 1
            }
            return (Self.map(count), AllocationSlot(source: self, index: slot, offset: -1))
        }

        /// The recorded run's tensors are mapped and unmapped one by one, not taken from the heap:
        /// freed heap blocks would stay resident as fragments after the plan has replaced them.
        static func map(_ count: Int) -> UnsafeMutablePointer<Float> {
            let bytes = Swift.max(count, 1) * MemoryLayout<Float>.stride
            let raw = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            guard let raw, raw != MAP_FAILED else {
                fatalError("PlannedMemory: cannot map \(bytes) bytes for a tensor: out of memory (errno \(errno))")
            }
            return raw.bindMemory(to: Float.self, capacity: Swift.max(count, 1))
        }

        func release(_ pointer: UnsafeMutablePointer<Float>, slot: AllocationSlot) {
            let count = events.withLock { state in
                if !state.finished {
                    state.records[slot.index].freed = state.clock
                    state.clock += 1
                }
                return state.records[slot.index].count
            }
            munmap(pointer, Swift.max(count, 1) * MemoryLayout<Float>.stride)
        }

        /// The plan of the recorded run; nil when nothing was planned.
        func finish() -> Plan? {
            let records = events.withLock { state in
                state.finished = true
                return state.records
            }
            let freed = records.indices.filter { records[$0].freed != nil }
            guard !freed.isEmpty else { return nil }
            let sizes = freed.map { (records[$0].count * MemoryLayout<Float>.stride + 63) / 64 * 64 }
            let lifetimes = freed.map { records[$0].allocated..<records[$0].freed! }
            let (offsets, bytes) = PlannedMemory.placements(sizes: sizes, lifetimes: lifetimes)
            var slots: [(count: Int, offset: Int?)] = records.map { ($0.count, nil) }
            for (k, i) in freed.enumerated() { slots[i].offset = offsets[k] }
            return Plan(slots: slots, bytes: bytes)
        }
    }

    /// Serves a run's allocations from an arena by the plan.
    final class Replay: AllocationSource, @unchecked Sendable {
        let plan: Plan
        let arena: Arena
        let minimumCount: Int
        /// Only the running thread touches these.
        private var next = 0
        private(set) var diverged = false
        private(set) var served = 0, fellBack = 0

        init(plan: Plan, arena: Arena, minimumCount: Int) {
            self.plan = plan
            self.arena = arena
            self.minimumCount = minimumCount
        }

        func allocate(count: Int) -> (UnsafeMutablePointer<Float>, AllocationSlot)? {
            defer { next += 1 }
            guard next < plan.slots.count, plan.slots[next].count == count else {
                diverged = true
                return nil
            }
            guard let offset = plan.slots[next].offset else { return nil }
            let bytes = count * MemoryLayout<Float>.stride
            guard arena.acquire(offset..<offset + bytes) else {
                fellBack += 1
                return nil
            }
            served += 1
            return (arena.pointer(at: offset), AllocationSlot(source: arena, index: 0, offset: offset))
        }
    }

    /// One block of memory; tracks which byte ranges hold live tensors.
    final class Arena: StorageRecycler, @unchecked Sendable {
        let bytes: Int
        private let base: UnsafeMutableRawPointer
        private let live = Locked<[Range<Int>]>([])

        init(bytes: Int) {
            self.bytes = bytes
            base = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(bytes, 64), alignment: 64)
        }

        deinit { base.deallocate() }

        func pointer(at offset: Int) -> UnsafeMutablePointer<Float> {
            (base + offset).assumingMemoryBound(to: Float.self)
        }

        /// Marks `range` live unless it overlaps a live tensor or the end of the arena.
        func acquire(_ range: Range<Int>) -> Bool {
            guard range.upperBound <= bytes else { return false }
            return live.withLock { live in
                if live.contains(where: { $0.overlaps(range) }) { return false }
                live.append(range)
                return true
            }
        }

        func release(_ pointer: UnsafeMutablePointer<Float>, slot: AllocationSlot) {
            live.withLock { live in
                if let i = live.firstIndex(where: { $0.lowerBound == slot.offset }) { live.remove(at: i) }
            }
        }
    }
}

/// What serves the large tensor allocations of the current thread (`AllocationScope`).
@usableFromInline
protocol AllocationSource: AnyObject, Sendable {
    var minimumCount: Int { get }
    /// Memory for `count` scalars and where to give it back, or nil to use the heap.
    func allocate(count: Int) -> (UnsafeMutablePointer<Float>, AllocationSlot)?
}

/// Where a `TensorStorage` gives back memory that did not come from the heap.
@usableFromInline
protocol StorageRecycler: AnyObject, Sendable {
    /// Called by the storage's deinit.
    func release(_ pointer: UnsafeMutablePointer<Float>, slot: AllocationSlot)
}

/// The recycler of a storage's memory and its place there.
@usableFromInline
struct AllocationSlot: Sendable {
    let source: any StorageRecycler
    let index: Int
    let offset: Int
}

/// The allocation source of the current thread, if any (`PlannedMemory.run`).
@usableFromInline
enum AllocationScope {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "AllocationScope: pthread_key_create failed")
        return key
    }()

    /// The current thread's source (unretained: `with` keeps it alive while installed).
    @usableFromInline
    static var current: (any AllocationSource)? {
        guard let raw = pthread_getspecific(key) else { return nil }
        return Unmanaged<SourceBox>.fromOpaque(raw).takeUnretainedValue().source
    }

    /// Runs `body` with `source` as this thread's allocation source, restoring the previous one.
    static func with<R>(_ source: (any AllocationSource)?, _ body: () throws -> R) rethrows -> R {
        let previous = pthread_getspecific(key)
        let box = source.map(SourceBox.init)
        pthread_setspecific(key, box.map { Unmanaged.passUnretained($0).toOpaque() })
        defer {
            pthread_setspecific(key, previous)
            withExtendedLifetime(box) {}
        }
        return try body()
    }

    /// Runs `body` with no allocation source (the body of a parallel loop: which iterations the
    /// calling thread takes depends on timing, so its allocations cannot follow a plan).
    static func suspended<R>(_ body: () throws -> R) rethrows -> R {
        guard pthread_getspecific(key) != nil else { return try body() }
        return try with(nil, body)
    }

    private final class SourceBox {
        let source: any AllocationSource
        init(_ source: any AllocationSource) { self.source = source }
    }
}
