import Foundation
@testable import GeoLensTensor
import Testing

/// Planned activation memory: placements never let live tensors share bytes, replayed runs give
/// the same values as heap runs, and tensors that outlive a run are never overwritten by later runs.
@Suite("Planned memory")
struct PlannedMemoryTests {
    /// A small network-like chain: every intermediate is large enough to be planned.
    static func chain(_ x: Tensor, keep: ((Tensor) -> Void)? = nil) -> Tensor {
        let a = (x * 2 + 1).relu()
        let b = a.sigmoid() * x
        keep?(b)
        let c = (b + a).relu() - x
        let d = c.sum(alongAxes: [1], keepingDimensions: true) + c
        return d * 0.5
    }

    static func input(seed: UInt64) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return Tensor(shape: [2, 4, 64, 64], scalars: (0..<(2 * 4 * 64 * 64)).map { _ in Float.random(in: -1...1, using: &generator) })
    }

    @Test("placements: tensors alive at once never overlap, and the arena reuses freed bytes")
    func placementsNeverOverlapLiveTensors() {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<50 {
            let n = Int.random(in: 1...40, using: &generator)
            let sizes = (0..<n).map { _ in 64 * Int.random(in: 1...100, using: &generator) }
            let lifetimes = (0..<n).map { _ -> Range<Int> in
                let start = Int.random(in: 0..<100, using: &generator)
                return start..<(start + Int.random(in: 1...30, using: &generator))
            }
            let (offsets, bytes) = PlannedMemory.placements(sizes: sizes, lifetimes: lifetimes)
            for i in 0..<n {
                #expect(offsets[i] >= 0 && offsets[i] + sizes[i] <= bytes)
                for j in 0..<i where lifetimes[i].overlaps(lifetimes[j]) {
                    let a = offsets[i]..<(offsets[i] + sizes[i]), b = offsets[j]..<(offsets[j] + sizes[j])
                    #expect(!a.overlaps(b), "allocations \(i) and \(j) are alive together and share bytes")
                }
            }
            // Never more than everything at once, never less than the largest set alive at one time.
            #expect(bytes <= sizes.reduce(0, +))
            let peak = (0..<130).map { t in zip(sizes, lifetimes).filter { $0.1.contains(t) }.reduce(0) { $0 + $1.0 } }.max() ?? 0
            #expect(bytes >= peak)
        }
        // A chain where each tensor dies as the next is made needs two slots, not n.
        let (_, chainBytes) = PlannedMemory.placements(sizes: Array(repeating: 640, count: 10),
                                                       lifetimes: (0..<10).map { $0..<($0 + 2) })
        #expect(chainBytes == 1280)
    }

    @Test("replayed runs equal heap runs, and the plan is made once per key")
    func replayedRunsEqualHeapRuns() {
        let memory = PlannedMemory()
        for seed in 1...4 as ClosedRange<UInt64> {
            let x = Self.input(seed: seed)
            let expected = Self.chain(x)
            let planned = memory.run(key: AnyHashable(x.shape)) { Self.chain(x) }
            #expect(planned.scalars == expected.scalars)
        }
        let bytes = memory.plannedBytes(for: AnyHashable([2, 4, 64, 64]))
        #expect(bytes != nil)
        // Several intermediates of 128 KB each, but never all alive at once.
        if let bytes { #expect(bytes > 0 && bytes < 8 * 2 * 4 * 64 * 64 * 4) }
        #expect(memory.arenaBytes == bytes)
        let counts = memory.replayCounts
        #expect(counts.served >= 3 * 5 && counts.fellBack == 0)
    }

    @Test("tensors kept past a run, and its outputs, are never overwritten by later runs")
    func keptTensorsSurviveLaterRuns() {
        let memory = PlannedMemory()
        var kept: [(Tensor, [Float])] = []
        var outputs: [(Tensor, [Float])] = []
        for seed in 1...5 as ClosedRange<UInt64> {
            let x = Self.input(seed: seed)
            // Runs 3 and 4 keep an intermediate that the plan (made by run 1) expects to be freed.
            let y = memory.run(key: AnyHashable("chain")) {
                Self.chain(x, keep: seed >= 3 && seed <= 4 ? { kept.append(($0, $0.scalars)) } : nil)
            }
            outputs.append((y, y.scalars))
        }
        for (tensor, values) in kept + outputs { #expect(tensor.scalars == values) }
        // The kept intermediates made later runs take some tensors from the heap instead.
        let counts = memory.replayCounts
        #expect(counts.served > 0 && counts.fellBack > 0)
    }

    @Test("concurrent runs with one key take separate arenas and give the heap's values")
    func concurrentRunsAreIndependent() {
        let memory = PlannedMemory()
        let inputs = (1...6).map { Self.input(seed: UInt64($0)) }
        let expected = inputs.map { Self.chain($0).scalars }
        let results = Locked<[Int: [Float]]>([:])
        for _ in 0..<3 {
            DispatchQueue.concurrentPerform(iterations: inputs.count) { i in
                let y = memory.run(key: AnyHashable("chain")) { Self.chain(inputs[i]) }
                results.withLock { $0[i] = y.scalars }
            }
            for i in inputs.indices { #expect(results.withLock { $0[i] } == expected[i]) }
        }
    }

    @Test("a run whose allocations diverge from the plan makes the next run record again")
    func divergingRunReplans() {
        let memory = PlannedMemory()
        let small = Self.input(seed: 1)
        _ = memory.run(key: AnyHashable("k")) { Self.chain(small) }
        let first = memory.plannedBytes(for: AnyHashable("k"))
        // Same key, other sizes: values still right, and the stale plan is dropped.
        let large = Tensor(shape: [2, 4, 96, 64], repeating: 0.25)
        let y = memory.run(key: AnyHashable("k")) { Self.chain(large) }
        #expect(y.scalars == Self.chain(large).scalars)
        #expect(memory.plannedBytes(for: AnyHashable("k")) == nil)
        _ = memory.run(key: AnyHashable("k")) { Self.chain(large) }
        let second = memory.plannedBytes(for: AnyHashable("k"))
        #expect(first != nil && second != nil && second! > first!)
    }
}
