import Foundation
public import GeoLensTensor

/// The GeoTIFFs a prediction writes: `<stem>_pred.tif` (class ids, UInt8, colour table, nodata
/// 255), `<stem>_entropy.tif` (Float32, nats, nodata NaN) and optionally `<stem>_prob.tif`
/// (Float32, one band per class), all georeferenced like the source.
public struct PredictionOutputPaths: Hashable, Sendable {
    public let classIds: String
    public let entropy: String
    public let probabilities: String?
}

extension ScenePredictor {
    /// Streams the scene through `model` and writes the prediction GeoTIFFs into `directory`.
    /// Invalid source pixels (mask, nodata, non-finite) get class 255 and NaN entropy/probabilities.
    /// `classColors` become the colour table of `<stem>_pred.tif` (none when nil); index 255 is
    /// nodata and transparent. `classOptions` lay out the class raster, `continuousOptions` the
    /// entropy and probability rasters (e.g. Cloud-Optimized with `mode` and `average` overviews).
    @discardableResult
    public func predict(to directory: String, stem: String, classNames: [String]? = nil,
                        classColors: [RGBA]? = nil, writeProbabilities: Bool = false,
                        classOptions: GeoTIFFOptions = .standard, continuousOptions: GeoTIFFOptions = .standard,
                        model: (Tensor) throws -> Tensor) throws -> PredictionOutputPaths {
        let georeference = Georeference(of: raster)
        let base = (directory as NSString).appendingPathComponent(stem)
        var classWriter: GeoTIFFWriter?, entropyWriter: GeoTIFFWriter?, probabilityWriter: GeoTIFFWriter?
        let (w, h) = (raster.width, raster.height)
        try run(model: model) { rows in
            let classes = rows.classCount
            if classWriter == nil {
                let names = classNames ?? (0..<classes).map { "class_\($0)" }
                let palette = classColors.map(RGBA.colorTable(classColors:))
                classWriter = try GeoTIFFWriter(path: base + "_pred.tif", width: w, height: h, bandCount: 1,
                                                dataType: .uint8, georeference: georeference, options: classOptions,
                                                nodata: 255, bandDescriptions: ["class"], colorTable: palette)
                entropyWriter = try GeoTIFFWriter(path: base + "_entropy.tif", width: w, height: h, bandCount: 1,
                                                  dataType: .float32, georeference: georeference, options: continuousOptions,
                                                  nodata: .nan, bandDescriptions: ["entropy"])
                if writeProbabilities {
                    probabilityWriter = try GeoTIFFWriter(path: base + "_prob.tif", width: w, height: h,
                                                          bandCount: classes, dataType: .float32,
                                                          georeference: georeference, options: continuousOptions,
                                                          nodata: .nan, bandDescriptions: names)
                }
            }
            let summary = PixelSummary(rows)
            try classWriter!.write(band: 1, window: rows.window, bytes: summary.classIds)
            try entropyWriter!.write(band: 1, window: rows.window, values: summary.entropy)
            if let probabilityWriter {
                let n = rows.window.pixelCount
                try rows.probabilities.withUnsafeBufferPointer { (p) throws in
                    for k in 0..<classes {
                        var plane = Array(p[(k * n)..<((k + 1) * n)])
                        for i in 0..<n where !rows.validity[i] { plane[i] = .nan }
                        try probabilityWriter.write(band: k + 1, window: rows.window, values: plane)
                    }
                }
            }
        }
        try classWriter?.finish()
        try entropyWriter?.finish()
        try probabilityWriter?.finish()
        return PredictionOutputPaths(classIds: base + "_pred.tif", entropy: base + "_entropy.tif",
                                     probabilities: writeProbabilities ? base + "_prob.tif" : nil)
    }
}

/// Per-pixel arg-max class and entropy of stitched rows.
public struct PixelSummary: Sendable {
    /// Arg-max class per pixel, 255 where the source is invalid.
    public let classIds: [UInt8]
    /// `-sum p ln p` per pixel, NaN where the source is invalid.
    public let entropy: [Float]

    public init(_ rows: StitchedRows) {
        self.init(probabilities: rows.probabilities, validity: rows.validity)
    }

    /// Summarizes class-major probabilities (`[C, ...]` with `validity.count` pixels per class).
    public init(probabilities: Tensor, validity: [Bool]) {
        let n = validity.count
        let classes = probabilities.count / Swift.max(n, 1)
        precondition(classes * n == probabilities.count,
                     "PixelSummary: \(probabilities.count) probabilities do not split into classes of \(n) pixels")
        var ids = [UInt8](repeating: 255, count: n)
        var entropy = [Float](repeating: .nan, count: n)
        probabilities.withUnsafeBufferPointer { p in
            for i in 0..<n where validity[i] {
                var best = 0
                var bestValue = -Float.infinity
                var h: Float = 0
                for k in 0..<classes {
                    let v = p[k * n + i]
                    if v > bestValue { bestValue = v; best = k }
                    if v > 0 { h -= v * logf(v) }
                }
                ids[i] = UInt8(min(best, 254))
                entropy[i] = h
            }
        }
        self.classIds = ids
        self.entropy = entropy
    }
}
