import Foundation
import GeoLensExplain
import GeoLensGeo
import GeoLensNN
import GeoLensTensor

/// Runs one attribution method over the tiles of an explain run and writes the maps and
/// `attributions.json`.
struct ExplainRunner {
    let config: ExplainConfig
    let loaded: LoadedModel

    /// One explained tile and class, as written to attributions.json.
    struct Record: Encodable {
        var tile: String
        var method: String
        var className: String
        var classIndex: Int
        var layer: String?
        var target: String
        var targetPixels: Int
        var map: String?
        var groups: [String]?
        var values: [Double]?
        var standardErrors: [Double]?
        var baseValue: Double?
        var fullValue: Double?
        var completenessResidual: Double?
        var evaluations: Int?
        /// `grid` or `superpixels` when the features are band groups crossed with spatial cells.
        var cellKind: ExplainCells.Kind?
        var cellCount: Int?
        /// The superpixel label raster of the tile (superpixel runs).
        var segments: String?
        var sanity: Sanity?

        enum CodingKeys: String, CodingKey {
            case tile, method, layer, target, map, groups, values, evaluations, sanity, segments
            case cellKind = "cell_kind", cellCount = "cell_count"
            case className = "class", classIndex = "class_index", targetPixels = "target_pixels"
            case standardErrors = "standard_errors", baseValue = "base_value", fullValue = "f_x"
            case completenessResidual = "completeness_residual"
        }
    }

    /// Deletion/insertion AUCs of a record's per-pixel map and its cascading model randomization.
    struct Sanity: Encodable {
        struct Randomization: Encodable {
            var layer: String
            var spearman: Double
        }
        var deletionAUC: Double?
        var insertionAUC: Double?
        var steps: Int
        var randomization: [Randomization]
        var note: String?

        enum CodingKeys: String, CodingKey {
            case steps, randomization, note
            case deletionAUC = "deletion_auc", insertionAUC = "insertion_auc"
        }
    }

    /// Deletion/insertion steps and the most cascade cut points of `--sanity`.
    static let sanitySteps = 10
    static let randomizationCuts = 5

    /// The sanity object of one per-pixel map (H x W) of `target`; `recompute` gives the same
    /// map on the current parameters (nil skips randomization, with `note` saying why).
    func sanity(map: [Float], target: SegmentationTarget, input: Tensor, baseline: Tensor,
                recompute: (() throws(ExplainError) -> [Float])?, note: String? = nil) throws(ExplainError) -> Sanity {
        let curves = DeletionInsertion.auc(model: loaded.model, input: input, baseline: baseline, map: map, target: target,
                                           steps: Self.sanitySteps, batchSize: config.batch)
        var result = Sanity(deletionAUC: curves.deletionAUC, insertionAUC: curves.insertionAUC, steps: curves.steps,
                            randomization: [], note: note)
        if let recompute {
            let steps = try ModelRandomization.cascade(model: loaded.model, original: map, maxSteps: Self.randomizationCuts,
                                                       seed: config.seed, attribution: recompute)
            result.randomization = steps.map { Sanity.Randomization(layer: $0.layer, spearman: $0.spearman) }
            if steps.isEmpty { result.note = "model randomization skipped: the model has no re-initializable modules" }
        }
        return result
    }

    /// Explains one tile; returns its records.
    func explain(tile: String) throws -> [Record] {
        let model = loaded.model
        let (input, validity, raster) = try ExplainInputs.read(tile, card: loaded.card, channels: model.inChannels)
        let (height, width) = (input.shape[2], input.shape[3])
        // CAM methods take the predicted classes from their own (taped) forward pass.
        let camExplainer = CAMMethod(rawValue: config.method).map { CAMExplainer(model: model, method: $0, layer: config.layer) }
        let camPass = try camExplainer?.forward(input)
        let logits = camPass?.logits.detached() ?? GradientMode.withoutRecording { model(input) }
        let prediction = predictedClasses(logits)
        let region = try TargetRegion(parsing: config.target)
        let labels = try config.labels.map { try ExplainInputs.labels(for: tile, in: $0, ignoreIndex: loaded.card.ignoreIndex ?? 255) }
        let names = loaded.classNames
        let classes = try config.classes.map { try ExplainInputs.classIndices($0, names: names) }
            ?? Array(Set(prediction)).sorted()
        let targets = try classes.map {
            try SegmentationTarget.make(region: region, classIndex: $0, prediction: prediction, labels: labels,
                                        ignoreIndex: loaded.card.ignoreIndex ?? 255, height: height, width: width)
        }
        let stem = ((tile as NSString).lastPathComponent as NSString).deletingPathExtension
        let georeference = Georeference(of: raster)
        var records: [Record] = []
        func base(_ target: SegmentationTarget) -> Record {
            Record(tile: tile, method: config.method, className: names[target.classIndex], classIndex: target.classIndex,
                   target: region.description, targetPixels: target.pixelCount)
        }
        let compositeChannels = try self.compositeChannels(input)
        let scalars = input.scalars
        let compositeBands = compositeChannels.map { c in Array(scalars[c * height * width..<(c + 1) * height * width]) }
        /// Segment boundaries drawn on the heatmaps of superpixel runs.
        var boundaries: [Bool]?
        /// Writes the raw map (GeoTIFF) and its heatmap PNG (bands summed per pixel for per-band maps).
        func writeMap(_ values: [Float], bands: Int, class index: Int) throws -> String {
            let name = "\(stem)_\(config.method)_\(names[index]).tif"
            let path = (config.out as NSString).appendingPathComponent(name)
            try GeoTIFFWriter.writeFloat32(Tensor(shape: [bands, height, width], scalars: values), to: path,
                                           georeference: georeference)
            let plane = height * width
            var summed = Array(values[0..<plane])
            for b in 1..<max(bands, 1) { for i in 0..<plane { summed[i] += values[b * plane + i] } }
            _ = try renderHeatmapPNG(map: summed, height: height, width: width, composite: compositeBands,
                                     signed: !config.isCAM, boundaries: boundaries,
                                     path: (path as NSString).deletingPathExtension + ".png")
            return name
        }
        func writeGroupChart(_ record: Record) throws {
            guard let groups = record.groups, let values = record.values, record.cellKind == nil else { return }
            let name = "\(stem)_\(config.method)_\(names[record.classIndex])_groups.png"
            _ = try renderGroupBarChartPNG(names: groups, values: values,
                                           standardErrors: record.standardErrors?.count == values.count ? record.standardErrors : nil,
                                           path: (config.out as NSString).appendingPathComponent(name))
        }
        let baseline = try ExplainInputs.baseline(config.baseline, card: loaded.card, channels: model.inChannels).tensor(for: input)
        if let explainer = camExplainer, let camPass {
            for result in explainer.explain(pass: camPass, targets: targets, height: height, width: width) {
                let target = targets.first { $0.classIndex == result.classIndex }!
                var record = base(target)
                record.layer = result.layer
                record.map = try writeMap(result.map, bands: 1, class: result.classIndex)
                if config.sanity {
                    record.sanity = try sanity(map: result.map, target: target, input: input, baseline: baseline) { () throws(ExplainError) in
                        try explainer.explain(input, targets: [target])[0].map
                    }
                }
                records.append(record)
            }
            return records
        }
        let cells = try ExplainCells(config: config, input: input, validity: validity, compositeChannels: compositeChannels)
        let features = cells.features
        var segmentsFile: String?
        if let segmentation = cells.segmentation {
            let name = "\(stem)_superpixels.tif"
            try cells.writeSegments(to: (config.out as NSString).appendingPathComponent(name), georeference: georeference)
            segmentsFile = name
            boundaries = segmentation.boundaries
        }
        /// A record with the tile's cell description.
        func cellRecord(_ target: SegmentationTarget) -> Record {
            var record = base(target)
            record.cellKind = cells.kind
            record.cellCount = cells.kind.map { _ in cells.cellCount }
            record.segments = segmentsFile
            return record
        }
        switch config.method {
        case "shap-exact", "kernel-shap":
            func shapley(_ targets: [SegmentationTarget]) throws(ExplainError) -> [ShapleyResult] {
                if config.method == "shap-exact" {
                    try cells.checkExactShapleyLimit()
                    return try ExactShapley.explain(model: model, input: input, baseline: baseline, features: features,
                                                    targets: targets, batchSize: config.batch)
                }
                var options = KernelSHAP.Options()
                options.samples = config.samples
                options.seed = config.seed
                options.batchSize = config.batch
                return try KernelSHAP.explain(model: model, input: input, baseline: baseline, features: features,
                                              targets: targets, options: options)
            }
            let results = try shapley(targets)
            for (target, result) in zip(targets, results) {
                var record = cellRecord(target)
                record.groups = result.featureNames
                record.values = result.values
                record.standardErrors = result.standardErrors
                record.baseValue = result.baseValue
                record.fullValue = result.fullValue
                record.completenessResidual = result.completenessResidual
                record.evaluations = result.evaluations
                let map = cells.pixelMap(result.values, height: height, width: width)
                if cells.isSpatial { record.map = try writeMap(map, bands: 1, class: target.classIndex) }
                if config.sanity {
                    if cells.isSpatial {
                        record.sanity = try sanity(map: map, target: target, input: input, baseline: baseline) { () throws(ExplainError) in
                            cells.pixelMap(try shapley([target])[0].values, height: height, width: width)
                        }
                    } else {
                        record.sanity = Sanity(steps: Self.sanitySteps, randomization: [],
                                               note: "band-group values without --grid or --superpixels give no per-pixel order: deletion/insertion and model randomization skipped")
                    }
                }
                try writeGroupChart(record)
                records.append(record)
            }
        default:
            func attributions(_ targets: [SegmentationTarget]) -> [PixelAttribution] {
                config.method == "integrated-gradients"
                    ? IntegratedGradients.explain(model: model, input: input, baseline: baseline, targets: targets,
                                                  steps: config.steps, batchSize: config.batch)
                    : GradientSHAP.explain(model: model, input: input, baselines: [baseline], targets: targets,
                                           samples: config.samples, seed: config.seed, batchSize: config.batch)
            }
            let results = attributions(targets)
            for (target, result) in zip(targets, results) {
                var record = cellRecord(target)
                record.groups = features.map(\.name)
                record.values = result.groupSums(features)
                record.standardErrors = result.standardError.map { [$0] }
                record.baseValue = result.baseValue
                record.fullValue = result.fullValue
                record.completenessResidual = result.completenessResidual
                record.map = try writeMap(result.values, bands: result.channels, class: target.classIndex)
                if config.sanity {
                    record.sanity = try sanity(map: result.channelSum, target: target, input: input, baseline: baseline) { () throws(ExplainError) in
                        attributions([target])[0].channelSum
                    }
                }
                try writeGroupChart(record)
                records.append(record)
            }
        }
        return records
    }

    /// The 0-based input channels shown under heatmaps (`composite` positions, default 3,2,1 or the first channel).
    private func compositeChannels(_ input: Tensor) throws -> [Int] {
        let channels = input.shape[1]
        let positions = config.composite ?? (channels >= 3 ? [3, 2, 1] : [1])
        if let bad = positions.first(where: { $0 > channels }) {
            throw Failure.usage("composite channel \(bad) is beyond the model's \(channels) input channels")
        }
        return positions.map { $0 - 1 }
    }
}
