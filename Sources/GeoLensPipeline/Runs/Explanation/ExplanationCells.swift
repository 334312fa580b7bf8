import Foundation
import GeoLensExplain
import GeoLensGeo
import GeoLensNN
import GeoLensTensor

/// The SHAP features of one tile: band groups, optionally crossed with spatial cells (a grid or
/// SLIC superpixels), over the tile's valid pixels only.
struct ExplanationCells {
    typealias Kind = CellKind

    /// Band groups crossed with the cells, in group-major order.
    let features: [AttributionFeature]
    let groupCount: Int
    /// nil when the groups cover the whole tile.
    let kind: Kind?
    /// Number of spatial cells (1 without cells).
    let cellCount: Int
    /// The superpixel label map (superpixel runs only).
    let segmentation: SuperpixelSegmentation?

    /// Builds the features of a tile whose normalized input is `input` [1, C, H, W].
    /// `compositeChannels` are the 0-based channels shown under the heatmaps.
    /// `layout`: the inputs of a multi-input card, which `--groups` may name (`InputGroups`); without
    /// `--groups` such a card's features are its whole inputs.
    init(config: ExplanationSettings, input: Tensor, validity: [Bool], compositeChannels: [Int],
         layout: ModelInputLayout? = nil) throws {
        let (channels, height, width) = (input.shape[1], input.shape[2], input.shape[3])
        let groupText: String? = if let layout {
            try config.groups.map { try InputGroups.resolve($0, layout: layout) } ?? InputGroups.perInput(layout)
        } else {
            config.groups
        }
        let groups = try groupText.map { try FeatureGroups.parse($0, channels: channels) } ?? FeatureGroups.perChannel(channels)
        groupCount = groups.count
        var features = groups
        if let grid = config.grid.flatMap(config.parsedGrid) {
            features = FeatureGroups.crossed(groups, gridRows: grid.rows, columns: grid.columns, height: height, width: width)
            kind = .grid
            cellCount = grid.rows * grid.columns
            segmentation = nil
        } else if let target = config.superpixels {
            let parameters = SLICSuperpixels.Parameters(segments: target, compactness: config.compactness ?? 10)
            let bands = config.superpixelBands == "composite" ? compositeChannels : nil
            let segments = SLICSuperpixels.segment(input, channels: bands, validity: validity, parameters: parameters)
            features = FeatureGroups.crossed(groups, segments: segments)
            kind = .superpixels
            cellCount = segments.count
            segmentation = segments
        } else {
            kind = nil
            cellCount = 1
            segmentation = nil
        }
        // Nodata pixels belong to no feature: they keep the input value in every coalition.
        self.features = validity.allSatisfy { $0 } ? features
            : features.map { $0.restricted(to: validity, height: height, width: width) }
    }

    /// Whether features are cells (so values map back to pixels).
    var isSpatial: Bool { kind != nil }

    /// Throws when shap-exact would need more than 2^12 coalitions, saying where the count comes from.
    func checkExactShapleyLimit() throws(ExplainError) {
        let m = features.count
        guard m > ExactShapley.maximumFeatures, let kind else { return }
        let cells = kind == .grid ? "grid cells" : "superpixel cells"
        let fewer = kind == .grid ? "a smaller --grid" : "a smaller --superpixels"
        throw ExplainError("shap-exact evaluates 2^M coalitions and takes at most \(ExactShapley.maximumFeatures) features, "
                           + "but \(groupCount) band group(s) x \(cellCount) \(cells) give \(m); use kernel-shap, fewer groups or \(fewer)")
    }

    /// Per-pixel sum of the values of the features covering each pixel (H x W).
    func pixelMap(_ values: [Double], height: Int, width: Int) -> [Float] {
        var map = [Float](repeating: 0, count: height * width)
        for (feature, value) in zip(features, values) {
            feature.forEachRun(height: height, width: width) { run in
                for i in run { map[i] += Float(value) }
            }
        }
        return map
    }

    /// The cell outlines drawn on heatmaps: superpixel segment boundaries, or grid cell edges
    /// (a pixel whose right or lower neighbour lies in another cell, as for segments); nil
    /// without cells.
    func outlines(height: Int, width: Int) -> [Bool]? {
        switch kind {
        case .superpixels: return segmentation?.boundaries
        case .grid:
            // The first group's features are the cells, in order; every group crosses the same cells.
            var cell = [Int](repeating: -1, count: height * width)
            for (index, feature) in features.prefix(cellCount).enumerated() {
                feature.forEachRun(height: height, width: width) { run in for i in run { cell[i] = index } }
            }
            var edges = [Bool](repeating: false, count: height * width)
            for row in 0..<height {
                for column in 0..<width {
                    let i = row * width + column
                    edges[i] = (column + 1 < width && cell[i + 1] != cell[i]) || (row + 1 < height && cell[i + width] != cell[i])
                }
            }
            return edges
        case nil: return nil
        }
    }

    /// Writes the superpixel labels as a single-band Int32 GeoTIFF (0 = nodata, segments 1...K).
    func writeSegments(to path: String, georeference: Georeference, options: GeoTIFFOptions) throws {
        guard let segmentation else { return }
        let writer = try GeoTIFFWriter(path: path, width: segmentation.width, height: segmentation.height, bandCount: 1,
                                       dataType: .int32, georeference: georeference, options: options, nodata: 0,
                                       bandDescriptions: ["segment"])
        try writer.write(band: 1, window: .full(width: segmentation.width, height: segmentation.height),
                         doubles: segmentation.labels.map(Double.init))
        try writer.finish()
    }
}
