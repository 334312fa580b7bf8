public import GeoLensTensor
import Glibc

/// Finished scene rows: blended class probabilities `[classes, rowCount, width]` and validity.
public struct StitchedRows: Sendable {
    /// The scene row of the first row.
    public let firstRow: Int
    public let rowCount: Int
    public let width: Int
    /// Normalized weighted class probabilities, `[classes, rowCount, width]`.
    public let probabilities: Tensor
    /// Per pixel, row-major: true when the source pixel was valid in the fed bands.
    public let validity: [Bool]

    /// The raster window these rows cover.
    public var window: RasterWindow { RasterWindow(x: 0, y: firstRow, width: width, height: rowCount) }
    public var classCount: Int { probabilities.shape[0] }
}

/// Accumulates weighted per-window class probabilities for the window rows in flight and hands
/// back rows as soon as no later window can touch them. It holds at most one tile height of
/// full-width rows, so memory does not grow with the scene height.
public struct ProbabilityStitcher: Sendable {
    public let tiler: SceneTiler
    public let classCount: Int
    public let blend: BlendWeight
    /// Scene row held in buffer row 0; rows above it have been emitted.
    public private(set) var firstPendingRow = 0
    private let capacityRows: Int
    private var sums: [Float]
    private var weights: [Float]
    private var validity: [Bool]

    public init(tiler: SceneTiler, classCount: Int, blend: BlendWeight = .hann) {
        precondition(classCount >= 1, "ProbabilityStitcher: needs at least one class")
        self.tiler = tiler
        self.classCount = classCount
        self.blend = blend
        self.capacityRows = min(tiler.tileSize, tiler.height)
        let plane = capacityRows * tiler.width
        self.sums = [Float](repeating: 0, count: classCount * plane)
        self.weights = [Float](repeating: 0, count: plane)
        self.validity = [Bool](repeating: true, count: plane)
    }

    /// Adds one window's probabilities `[classes, tile, tile]` (the padded model output; only
    /// the window's own pixels are used) and, optionally, the window's source validity.
    public mutating func add(_ probabilities: Tensor, for scene: SceneWindow, validity windowValidity: [Bool]? = nil) {
        let w = scene.window
        let tile = scene.tileSize
        precondition(probabilities.shape == [classCount, tile, tile],
                     "ProbabilityStitcher.add: probabilities \(probabilities.shape) are not [\(classCount), \(tile), \(tile)]")
        precondition(w.y >= firstPendingRow && w.y + w.height <= firstPendingRow + capacityRows,
                     "ProbabilityStitcher.add: \(w) is outside the pending rows \(firstPendingRow)..<\(firstPendingRow + capacityRows)")
        let across = blend.profile(length: w.width, flatStart: scene.touchesLeft, flatEnd: scene.touchesRight)
        let down = blend.profile(length: w.height, flatStart: scene.touchesTop, flatEnd: scene.touchesBottom)
        let width = tiler.width, plane = capacityRows * width, top = w.y - firstPendingRow
        probabilities.withUnsafeBufferPointer { p in
            sums.withUnsafeMutableBufferPointer { sums in
                weights.withUnsafeMutableBufferPointer { weights in
                    for row in 0..<w.height {
                        let base = (top + row) * width + w.x
                        for col in 0..<w.width { weights[base + col] += down[row] * across[col] }
                        for k in 0..<classCount {
                            let src = (k * tile + row) * tile
                            let dst = k * plane + base
                            for col in 0..<w.width { sums[dst + col] += down[row] * across[col] * p[src + col] }
                        }
                    }
                }
            }
        }
        if let windowValidity {
            precondition(windowValidity.count == w.pixelCount,
                         "ProbabilityStitcher.add: \(windowValidity.count) validity flags for \(w)")
            for row in 0..<w.height {
                let base = (top + row) * width + w.x
                for col in 0..<w.width where !windowValidity[row * w.width + col] { validity[base + col] = false }
            }
        }
    }

    /// Emits the rows from `firstPendingRow` up to (not including) `row` and slides the buffer.
    public mutating func emitRows(before row: Int) -> StitchedRows? {
        let count = min(row, tiler.height) - firstPendingRow
        guard count > 0 else { return nil }
        precondition(count <= capacityRows, "ProbabilityStitcher.emitRows: \(count) rows exceed the buffer")
        let width = tiler.width, plane = capacityRows * width, n = count * width
        var outValidity = [Bool](repeating: true, count: n)
        let result = Tensor(shape: [classCount, count, width]) { out in
            sums.withUnsafeBufferPointer { sums in
                weights.withUnsafeBufferPointer { weights in
                    for k in 0..<classCount {
                        for i in 0..<n { out[k * n + i] = sums[k * plane + i] / weights[i] }
                    }
                }
            }
        }
        for i in 0..<n { outValidity[i] = validity[i] }
        slide(by: n)
        let emitted = StitchedRows(firstRow: firstPendingRow, rowCount: count, width: width,
                                   probabilities: result, validity: outValidity)
        firstPendingRow += count
        return emitted
    }

    /// Moves the pending rows up by `n` elements per plane and clears the freed tail.
    private mutating func slide(by n: Int) {
        let plane = capacityRows * tiler.width
        let keep = plane - n
        sums.withUnsafeMutableBufferPointer { sums in
            for k in 0..<classCount {
                let base = sums.baseAddress! + k * plane
                memmove(base, base + n, keep * MemoryLayout<Float>.stride)
                (base + keep).update(repeating: 0, count: n)
            }
        }
        weights.withUnsafeMutableBufferPointer { w in
            memmove(w.baseAddress!, w.baseAddress! + n, keep * MemoryLayout<Float>.stride)
            (w.baseAddress! + keep).update(repeating: 0, count: n)
        }
        validity.withUnsafeMutableBufferPointer { v in
            memmove(v.baseAddress!, v.baseAddress! + n, keep * MemoryLayout<Bool>.stride)
            (v.baseAddress! + keep).update(repeating: true, count: n)
        }
    }
}
