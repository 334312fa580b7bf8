import Foundation
public import GeoLensTensor

/// SLIC superpixels (Achanta et al., "SLIC Superpixels Compared to State-of-the-Art Superpixel
/// Methods", TPAMI 2012) on the bands of a model input.
///
/// Local k-means in (band values, x, y): centres start on a regular grid of step S = sqrt(V / n)
/// (V valid pixels, n the target count), each moved to the lowest-gradient valid pixel of its
/// 3 x 3 neighbourhood (dropped when there is none); every iteration assigns each valid pixel to
/// the nearest centre whose 2S x 2S window covers it, with D^2 = d_c^2 + (d_s / S)^2 m^2 (d_c
/// band distance, d_s pixel distance, m the compactness), then moves each centre to the mean of
/// its pixels. After the iterations, components smaller than a quarter of the expected segment
/// size are merged into an adjacent segment (`SLICConnectivity`), so every segment is 4-connected.
///
/// Band values are measured in hundredths of the tile's value range (1st to 99th percentile of
/// the chosen bands over the valid pixels, pooled), as CIELAB lightness spans 0 to 100 in the
/// paper, so the compactness has the paper's meaning whatever the input normalization (1 to 40
/// typical; larger values give more regular, grid-like cells).
///
/// Deterministic: no randomness, fixed iteration count, ties go to the lower centre index.
/// Memory is a few arrays of one value per pixel, allocated once per call.
public enum SLICSuperpixels {
    public struct Parameters: Sendable, Equatable {
        /// Target number of segments (approximate: the grid of initial centres and the
        /// connectivity step decide the final count).
        public var segments: Int
        /// m: weight of the spatial distance against the band distance.
        public var compactness: Double = 10
        public var iterations: Int = 10
        /// Components smaller than this fraction of (valid pixels / segments) are merged into a neighbour.
        public var minimumSizeFactor: Double = 0.25

        public init(segments: Int, compactness: Double = 10) {
            self.segments = segments
            self.compactness = compactness
        }
    }

    /// Segments the valid pixels of `input` ([1, C, H, W] or [C, H, W]) using `channels`
    /// (0-based, default all) as the band features. `validity` (row-major H x W) marks the pixels
    /// to segment; invalid pixels get label 0.
    public static func segment(_ input: Tensor, channels: [Int]? = nil, validity: [Bool]? = nil,
                               parameters: Parameters) -> SuperpixelSegmentation {
        precondition(input.rank == 4 && input.shape[0] == 1 || input.rank == 3,
                     "SLICSuperpixels: input of shape \(input.shape), expected [1, C, H, W] or [C, H, W]")
        let shape = Array(input.shape.suffix(3))
        let (height, width) = (shape[1], shape[2])
        let chosen = channels ?? Array(0..<shape[0])
        precondition(!chosen.isEmpty && chosen.allSatisfy { (0..<shape[0]).contains($0) },
                     "SLICSuperpixels: channels \(chosen) outside the input's \(shape[0])")
        precondition(parameters.segments >= 1 && parameters.compactness > 0 && parameters.iterations >= 0,
                     "SLICSuperpixels: \(parameters.segments) segments and compactness \(parameters.compactness) must be positive")
        let valid = validity ?? [Bool](repeating: true, count: height * width)
        precondition(valid.count == height * width, "SLICSuperpixels: \(valid.count) validity flags for \(height)x\(width)")
        let features = scaledFeatures(input, channels: chosen, height: height, width: width, valid: valid)
        var clustering = Clustering(features: features, bands: chosen.count, height: height, width: width,
                                    valid: valid, parameters: parameters)
        clustering.run()
        let expectedSize = Double(max(clustering.validCount, 1)) / Double(parameters.segments)
        let minimumSize = Int((expectedSize * parameters.minimumSizeFactor).rounded(.down))
        let labels = SLICConnectivity.enforce(labels: clustering.labels, valid: valid, height: height, width: width,
                                              minimumSize: minimumSize)
        return SuperpixelSegmentation(height: height, width: width, labels: labels)
    }

    /// The chosen bands, pixel-interleaved ([H * W][bands]), shifted and scaled so that the pooled
    /// 1st to 99th percentile range over valid pixels spans 100.
    static func scaledFeatures(_ input: Tensor, channels: [Int], height: Int, width: Int, valid: [Bool]) -> [Float] {
        let plane = height * width, bands = channels.count
        var features = [Float](repeating: 0, count: plane * bands)
        var pooled: [Float] = []
        pooled.reserveCapacity(plane * bands)
        input.withUnsafeBufferPointer { x in
            features.withUnsafeMutableBufferPointer { f in
                for (b, channel) in channels.enumerated() {
                    let base = channel * plane
                    for i in 0..<plane {
                        let v = x[base + i]
                        f[i * bands + b] = v
                        if valid[i] && v.isFinite { pooled.append(v) }
                    }
                }
            }
        }
        guard !pooled.isEmpty else { return features }
        pooled.sort()
        let low = pooled[Int(Double(pooled.count - 1) * 0.01)], high = pooled[Int(Double(pooled.count - 1) * 0.99)]
        let scale: Float = high > low ? 100 / (high - low) : 1
        features.withUnsafeMutableBufferPointer { f in
            for i in 0..<f.count { f[i] = f[i].isFinite ? (f[i] - low) * scale : 0 }
        }
        return features
    }
}

/// The k-means part of SLIC: grid seeding, gradient perturbation, local assignment and update.
struct Clustering {
    let features: [Float]
    let bands: Int
    let height: Int
    let width: Int
    let valid: [Bool]
    let parameters: SLICSuperpixels.Parameters
    /// Grid step S.
    let step: Double
    let validCount: Int
    /// Centres, each `bands` values then y, x.
    var centres: [Float] = []
    /// Nearest centre of each pixel after the last assignment (-1: none, or invalid).
    var labels: [Int32]

    init(features: [Float], bands: Int, height: Int, width: Int, valid: [Bool], parameters: SLICSuperpixels.Parameters) {
        self.features = features
        self.bands = bands
        self.height = height
        self.width = width
        self.valid = valid
        self.parameters = parameters
        self.validCount = valid.reduce(0) { $0 + ($1 ? 1 : 0) }
        self.step = max(1, (Double(validCount) / Double(parameters.segments)).squareRoot())
        self.labels = [Int32](repeating: -1, count: height * width)
    }

    var stride: Int { bands + 2 }
    var centreCount: Int { centres.count / stride }

    mutating func run() {
        seed()
        guard centreCount > 0 else { return }
        var distances = [Float](repeating: .infinity, count: height * width)
        var sums = [Double](repeating: 0, count: centres.count)
        var counts = [Int](repeating: 0, count: centreCount)
        for _ in 0..<parameters.iterations {
            assign(distances: &distances)
            update(sums: &sums, counts: &counts)
        }
        if parameters.iterations == 0 { assign(distances: &distances) }
    }

    /// Centres on a rows x columns grid (cells of about S x S), each moved to the lowest-gradient
    /// valid pixel of its 3 x 3 neighbourhood; a centre with no valid pixel there is dropped.
    mutating func seed() {
        let rows = max(1, min(height, Int((Double(height) / step).rounded())))
        let columns = max(1, min(width, Int((Double(width) / step).rounded())))
        for r in 0..<rows {
            for c in 0..<columns {
                let y = Int((Double(r) + 0.5) * Double(height) / Double(rows))
                let x = Int((Double(c) + 0.5) * Double(width) / Double(columns))
                var best: (gradient: Float, y: Int, x: Int)?
                for dy in -1...1 {
                    for dx in -1...1 {
                        let (yy, xx) = (y + dy, x + dx)
                        guard (0..<height).contains(yy), (0..<width).contains(xx), valid[yy * width + xx] else { continue }
                        let g = gradient(y: yy, x: xx)
                        if best == nil || g < best!.gradient { best = (g, yy, xx) }
                    }
                }
                guard let best else { continue }
                let i = best.y * width + best.x
                for b in 0..<bands { centres.append(features[i * bands + b]) }
                centres.append(Float(best.y))
                centres.append(Float(best.x))
            }
        }
    }

    /// |I(x+1, y) - I(x-1, y)|^2 + |I(x, y+1) - I(x, y-1)|^2, a missing or invalid neighbour
    /// replaced by the pixel itself.
    func gradient(y: Int, x: Int) -> Float {
        func index(_ yy: Int, _ xx: Int) -> Int {
            guard (0..<height).contains(yy), (0..<width).contains(xx), valid[yy * width + xx] else { return y * width + x }
            return yy * width + xx
        }
        let (left, right, up, down) = (index(y, x - 1), index(y, x + 1), index(y - 1, x), index(y + 1, x))
        var sum: Float = 0
        for b in 0..<bands {
            let h = features[right * bands + b] - features[left * bands + b]
            let v = features[down * bands + b] - features[up * bands + b]
            sum += h * h + v * v
        }
        return sum
    }

    /// Assigns every valid pixel within S of a centre (in x and y) to the nearest such centre.
    mutating func assign(distances: inout [Float]) {
        let s = Float(step)
        let spatialWeight = Float(parameters.compactness * parameters.compactness) / (s * s)
        let (bands, height, width, stride) = (self.bands, self.height, self.width, self.stride)
        distances.withUnsafeMutableBufferPointer { d in
            labels.withUnsafeMutableBufferPointer { l in
                features.withUnsafeBufferPointer { f in
                    valid.withUnsafeBufferPointer { v in
                        centres.withUnsafeBufferPointer { c in
                            d.update(repeating: .infinity)
                            l.update(repeating: -1)
                            for k in 0..<c.count / stride {
                                let base = k * stride
                                let (cy, cx) = (c[base + bands], c[base + bands + 1])
                                let y0 = max(0, Int((cy - s).rounded(.up))), y1 = min(height - 1, Int((cy + s).rounded(.down)))
                                let x0 = max(0, Int((cx - s).rounded(.up))), x1 = min(width - 1, Int((cx + s).rounded(.down)))
                                guard y0 <= y1, x0 <= x1 else { continue }
                                for y in y0...y1 {
                                    let dy = Float(y) - cy
                                    for x in x0...x1 {
                                        let i = y * width + x
                                        guard v[i] else { continue }
                                        var colour: Float = 0
                                        for b in 0..<bands {
                                            let diff = f[i * bands + b] - c[base + b]
                                            colour += diff * diff
                                        }
                                        let dx = Float(x) - cx
                                        let distance = colour + (dy * dy + dx * dx) * spatialWeight
                                        if distance < d[i] {
                                            d[i] = distance
                                            l[i] = Int32(k)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Moves each centre to the mean band values and position of its pixels (kept when it has none).
    mutating func update(sums: inout [Double], counts: inout [Int]) {
        let (bands, width, stride) = (self.bands, self.width, self.stride)
        sums.withUnsafeMutableBufferPointer { s in
            counts.withUnsafeMutableBufferPointer { n in
                s.update(repeating: 0)
                n.update(repeating: 0)
                labels.withUnsafeBufferPointer { l in
                    features.withUnsafeBufferPointer { f in
                        for i in 0..<l.count where l[i] >= 0 {
                            let k = Int(l[i]), base = k * stride
                            for b in 0..<bands { s[base + b] += Double(f[i * bands + b]) }
                            s[base + bands] += Double(i / width)
                            s[base + bands + 1] += Double(i % width)
                            n[k] += 1
                        }
                    }
                }
                centres.withUnsafeMutableBufferPointer { c in
                    for k in 0..<n.count where n[k] > 0 {
                        for j in 0..<stride { c[k * stride + j] = Float(s[k * stride + j] / Double(n[k])) }
                    }
                }
            }
        }
    }
}
