import GeoLensTensor

/// Augmentations applied to image and label together (`augmentation:` key).
public struct AugmentationConfiguration: Codable, Sendable, Equatable {
    /// Random horizontal and vertical flips.
    public var flips: Bool = false
    /// Random rotations by multiples of 90 degrees (square crops only).
    public var rotate90: Bool = false
    /// Added to normalized values of `bands`: uniform in [-brightness, brightness].
    public var brightness: Float = 0
    /// Multiplies normalized values of `bands`: uniform in [1 - contrast, 1 + contrast].
    public var contrast: Float = 0
    /// 1-based positions in the model's input channels that brightness/contrast change (default: all).
    public var bands: [Int]?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable { case flips, brightness, contrast, bands, rotate90 = "rotate_90" }

    public init(from decoder: Decoder) throws {
        try ConfigurationDecoding.rejectUnknownKeys(decoder, CodingKeys.self, "augmentation")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        flips = try c.decodeIfPresent(Bool.self, forKey: .flips) ?? false
        rotate90 = try c.decodeIfPresent(Bool.self, forKey: .rotate90) ?? false
        brightness = try c.decodeIfPresent(Float.self, forKey: .brightness) ?? 0
        contrast = try c.decodeIfPresent(Float.self, forKey: .contrast) ?? 0
        bands = try c.decodeIfPresent([Int].self, forKey: .bands)
    }
}

/// Cuts, normalizes and augments tiles into `[N, C, h, w]` batches, deterministically from a generator,
/// with their labels: per pixel, or per tile for tile tasks.
struct BatchAssembler {
    let tiles: [TrainingTile]
    let mean: [Float]
    let std: [Float]
    /// Crop side (nil: whole tiles, which must then share one size).
    let crop: Int?
    let augmentation: AugmentationConfiguration?

    /// One batch of `indices`. Without a generator (validation) crops are centred and nothing is augmented.
    func batch(_ indices: [Int], generator: inout SeededGenerator?) -> (images: Tensor, labels: [Int32]) {
        let first = tiles[indices[0]]
        let channels = first.image.shape[0]
        let h = Swift.min(crop ?? first.height, first.height), w = Swift.min(crop ?? first.width, first.width)
        var labels = [Int32](repeating: 0, count: indices.count * h * w)
        let images = Tensor(shape: [indices.count, channels, h, w]) { out in
            for (n, index) in indices.enumerated() {
                let tile = tiles[index]
                precondition(tile.height >= h && tile.width >= w,
                             "BatchAssembler: tile \(tile.id) of \(tile.height) x \(tile.width) is smaller than the crop \(h) x \(w)")
                var plan = SamplePlan(originY: (tile.height - h) / 2, originX: (tile.width - w) / 2,
                                      rotations: 0, flipX: false, flipY: false,
                                      gain: [Float](repeating: 1, count: channels), shift: [Float](repeating: 0, count: channels))
                if generator != nil { plan = randomPlan(tile: tile, h: h, w: w, channels: channels, generator: &generator!) }
                write(tile, plan: plan, h: h, w: w, into: out, labels: &labels, sample: n)
            }
        }
        // Tile tasks: one class id, or K targets, per tile whatever the crop and augmentation.
        if first.tileTarget != nil { return (images, indices.flatMap { tiles[$0].tileTarget! }) }
        return (images, labels)
    }

    struct SamplePlan {
        var originY: Int, originX: Int, rotations: Int, flipX: Bool, flipY: Bool
        var gain: [Float], shift: [Float]
    }

    private func randomPlan(tile: TrainingTile, h: Int, w: Int, channels: Int, generator: inout SeededGenerator) -> SamplePlan {
        var plan = SamplePlan(originY: Int(generator.next() % UInt64(tile.height - h + 1)),
                              originX: Int(generator.next() % UInt64(tile.width - w + 1)),
                              rotations: 0, flipX: false, flipY: false,
                              gain: [Float](repeating: 1, count: channels), shift: [Float](repeating: 0, count: channels))
        guard let augmentation else { return plan }
        if augmentation.flips {
            plan.flipX = generator.next() & 1 == 1
            plan.flipY = generator.next() & 1 == 1
        }
        if augmentation.rotate90 && h == w { plan.rotations = Int(generator.next() % 4) }
        let chosen = augmentation.bands?.map { $0 - 1 } ?? Array(0..<channels)
        let gain = 1 + augmentation.contrast * (2 * generator.nextUniform() - 1)
        let shift = augmentation.brightness * (2 * generator.nextUniform() - 1)
        for c in chosen where c >= 0 && c < channels {
            plan.gain[c] = gain
            plan.shift[c] = shift
        }
        return plan
    }

    /// Writes one sample: output pixel (i, j) reads the tile at the rotated/flipped crop position.
    private func write(_ tile: TrainingTile, plan: SamplePlan, h: Int, w: Int,
                       into out: UnsafeMutableBufferPointer<Float>, labels: inout [Int32], sample n: Int) {
        let channels = tile.image.shape[0]
        let plane = tile.height * tile.width
        tile.image.withUnsafeBufferPointer { x in
            for i in 0..<h {
                for j in 0..<w {
                    var (si, sj) = (i, j)
                    for _ in 0..<plan.rotations { (si, sj) = (sj, h - 1 - si) }
                    if plan.flipY { si = h - 1 - si }
                    if plan.flipX { sj = w - 1 - sj }
                    let source = (plan.originY + si) * tile.width + plan.originX + sj
                    labels[(n * h + i) * w + j] = tile.labels[source]
                    for c in 0..<channels {
                        let normalized = (x[c * plane + source] - mean[c]) / std[c]
                        out[((n * channels + c) * h + i) * w + j] = normalized * plan.gain[c] + plan.shift[c]
                    }
                }
            }
        }
    }
}
