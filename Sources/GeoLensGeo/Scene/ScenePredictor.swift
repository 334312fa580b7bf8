public import GeoLensTensor

/// Settings of a streaming scene prediction.
public struct ScenePredictionOptions: Sendable {
    public var tileSize: Int
    public var overlap: Int
    /// 1-based bands fed to the model in order (nil: all).
    public var bands: [Int]?
    /// `value * inputScale + inputOffset` on read (model card `input_scale`, `input_offset`).
    public var inputScale: Float
    public var inputOffset: Float
    public var blend: BlendWeight
    /// Windows per model call.
    public var batchSize: Int

    public init(tileSize: Int = 256, overlap: Int = 64, bands: [Int]? = nil, inputScale: Float = 1,
                inputOffset: Float = 0, blend: BlendWeight = .hann, batchSize: Int = 4) {
        precondition(batchSize >= 1, "ScenePredictionOptions: batch size must be at least 1")
        self.tileSize = tileSize
        self.overlap = overlap
        self.bands = bands
        self.inputScale = inputScale
        self.inputOffset = inputOffset
        self.blend = blend
        self.batchSize = batchSize
    }
}

/// Streams a scene through a model window row by window row: reads the windows of one row
/// (reflect-padded when the scene is smaller than a tile), runs the model in batches, blends the
/// class probabilities, and hands back each scene row exactly once, as soon as it is final.
///
/// Memory holds one window row of stitching buffers and one batch of windows, whatever the scene size.
public struct ScenePredictor: Sendable {
    public let raster: Raster
    public let options: ScenePredictionOptions
    public let tiler: SceneTiler
    /// Reads one window's model input (`[C, h, w]` and validity); by default the scene's `bands`,
    /// scaled. A multi-source model reads every source's window here.
    let reader: @Sendable (RasterWindow) throws -> RasterBlock

    /// - Parameter reader: reads a window's input instead of `options.bands` of `raster`.
    public init(raster: Raster, options: ScenePredictionOptions = ScenePredictionOptions(),
                reader: (@Sendable (RasterWindow) throws -> RasterBlock)? = nil) throws {
        for band in options.bands ?? [] { _ = try raster.band(band) }
        self.raster = raster
        self.options = options
        self.reader = reader ?? { window in
            try raster.read(window: window, bands: options.bands, scale: options.inputScale, offset: options.inputOffset)
        }
        self.tiler = SceneTiler(width: raster.width, height: raster.height,
                                tileSize: options.tileSize, overlap: options.overlap)
    }

    /// Runs `model` (`[N, bands, tile, tile]` to class probabilities `[N, C, tile, tile]`) over the
    /// scene and calls `consume` with finished rows, top to bottom, each scene row exactly once.
    public func run(model: (Tensor) throws -> Tensor, consume: (StitchedRows) throws -> Void) throws {
        var stitcher: ProbabilityStitcher?
        let tile = options.tileSize
        for row in 0..<tiler.rowCount {
            let windows = tiler.windows(inRow: row)
            var start = 0
            while start < windows.count {
                let batch = Array(windows[start..<min(start + options.batchSize, windows.count)])
                start += batch.count
                var blocks: [RasterBlock] = []
                for scene in batch {
                    blocks.append(try reader(scene.window))
                }
                let input = Self.stack(blocks.map { ReflectPadding.pad($0.values, toTile: tile) })
                let output = try model(input)
                precondition(output.rank == 4 && output.shape[0] == batch.count
                             && output.shape[2] == tile && output.shape[3] == tile,
                             "ScenePredictor: model returned \(output.shape) for input \(input.shape); "
                             + "expected [\(batch.count), classes, \(tile), \(tile)]")
                if stitcher == nil {
                    stitcher = ProbabilityStitcher(tiler: tiler, classCount: output.shape[1], blend: options.blend)
                }
                let perWindow = output.count / batch.count
                for (i, scene) in batch.enumerated() {
                    let one = output.withUnsafeBufferPointer { p in
                        Tensor(shape: Array(output.shape.dropFirst())) { out in
                            out.baseAddress!.update(from: p.baseAddress! + i * perWindow, count: perWindow)
                        }
                    }
                    stitcher!.add(one, for: scene, validity: blocks[i].validity)
                }
            }
            // Finished rows go out in strips, so the probabilities, class ids and entropy made
            // from them are a few MB even for a 10980-pixel-wide scene, not one window row's worth.
            let finished = tiler.finishedRows(afterWindowRow: row)
            while let rows = stitcher!.emitRows(before: min(finished, stitcher!.firstPendingRow + Self.rowsPerStrip)) {
                try consume(rows)
            }
        }
    }

    /// The most scene rows handed to `consume` at once.
    static let rowsPerStrip = 64

    /// Stacks equally shaped `[C, h, w]` tensors into `[N, C, h, w]`.
    static func stack(_ items: [Tensor]) -> Tensor {
        let shape = items[0].shape
        let each = items[0].count
        return Tensor(shape: [items.count] + shape) { out in
            for (i, item) in items.enumerated() {
                precondition(item.shape == shape, "ScenePredictor.stack: \(item.shape) differs from \(shape)")
                item.withUnsafeBufferPointer { src in
                    (out.baseAddress! + i * each).update(from: src.baseAddress!, count: each)
                }
            }
        }
    }
}
