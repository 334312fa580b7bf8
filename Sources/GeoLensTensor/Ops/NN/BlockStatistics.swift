/// Sums over contiguous runs of Float values, accumulated in Double across four independent lanes
/// so the additions pipeline and vectorize (a single running sum would serialize on add latency).
enum BlockStatistics {
    /// Sum of `count` values starting at `start`.
    @inline(__always)
    static func sum(_ start: UnsafePointer<Float>, _ count: Int) -> Double {
        var lanes = SIMD4<Double>()
        var i = 0
        while i + 4 <= count {
            lanes += SIMD4<Double>(Double(start[i]), Double(start[i + 1]), Double(start[i + 2]), Double(start[i + 3]))
            i += 4
        }
        var total = lanes.sum()
        while i < count { total += Double(start[i]); i += 1 }
        return total
    }

    /// Sum of squared deviations from `mean` of `count` values starting at `start`.
    @inline(__always)
    static func squaredDeviations(_ start: UnsafePointer<Float>, _ count: Int, mean: Double) -> Double {
        var lanes = SIMD4<Double>()
        let center = SIMD4<Double>(repeating: mean)
        var i = 0
        while i + 4 <= count {
            let d = SIMD4<Double>(Double(start[i]), Double(start[i + 1]), Double(start[i + 2]), Double(start[i + 3])) - center
            lanes += d * d
            i += 4
        }
        var total = lanes.sum()
        while i < count {
            let d = Double(start[i]) - mean
            total += d * d
            i += 1
        }
        return total
    }
}
