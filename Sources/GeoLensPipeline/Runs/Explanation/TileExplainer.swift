import Foundation
import GeoLensEval
import GeoLensExplain
import GeoLensGeo
import GeoLensNN
import GeoLensReport
import GeoLensTensor

/// Explains one tile at a time with the run's method: reads the sample, computes the maps or
/// feature values per target class, writes the rasters and figures, and returns the records of
/// `attributions.json`.
struct TileExplainer {
    let config: ExplanationSettings
    let session: ModelSession
    let source: SampleSource
    let method: AttributionMethod
    /// The reference distribution of `deepshap` and `gradient-shap` (`--background`).
    let background: ExplanationBackground?

    var loaded: LoadedModel { session.loaded }

    /// Deletion/insertion steps and the most cascade cut points of `--sanity`.
    static let sanitySteps = 10
    static let randomizationCuts = 5

    /// The sanity object of one per-pixel map (H x W) of `target`; `recompute` gives the same
    /// map on the current parameters (nil skips randomization, with `note` saying why).
    func sanity(map: [Float], target: SegmentationTarget, input: Tensor, baseline: Tensor,
                recompute: (() throws(ExplainError) -> [Float])?, note: String? = nil) throws(ExplainError) -> AttributionRecord.Sanity {
        let curves = DeletionInsertion.auc(model: loaded.model, input: input, baseline: baseline, map: map, target: target,
                                           steps: Self.sanitySteps, batchSize: config.batch)
        var result = AttributionRecord.Sanity(deletionAUC: curves.deletionAUC, insertionAUC: curves.insertionAUC, steps: curves.steps,
                            randomization: [], note: note)
        if let recompute {
            let steps = try ModelRandomization.cascade(model: loaded.model, original: map, maxSteps: Self.randomizationCuts,
                                                       seed: config.seed, attribution: recompute)
            result.randomization = steps.map { AttributionRecord.Sanity.Randomization(layer: $0.layer, spearman: $0.spearman) }
            if steps.isEmpty { result.note = "model randomization skipped: the model has no re-initializable modules" }
        }
        return result
    }

    /// Explains one tile; returns its records.
    func explain(_ file: TilePair) throws -> [AttributionRecord] {
        let model = loaded.model
        let sample = try session.read(file, from: source)
        let stacked = sample.stacked
        let (height, width) = (sample.height, sample.width)
        let input = session.normalized(stacked.reshaped([1, stacked.shape[0], height, width]))
        let validity = sample.validity
        let tile = file.image
        // CAM methods take the predicted classes from their own (taped) forward pass.
        let camExplainer = method.camMethod.map { CAMExplainer(model: model, method: $0, layer: config.layer) }
        let camPass = try camExplainer?.forward(input)
        let logits = camPass?.logits.detached() ?? GradientMode.withoutRecording { model(input) }
        let prediction = predictedClasses(logits)
        let region = try TargetRegion(parsing: config.target)
        let labels = sample.label?.mask?.map(Int.init)
        let names = loaded.classNames
        let targets: [SegmentationTarget]
        if session.task.scoresTiles {
            targets = try tileTargets(logits: logits, region: region, label: sample.label, tile: tile)
        } else {
            let classes = try config.classes.map { try session.classIndices($0) } ?? Array(Set(prediction)).sorted()
            let ignoreIndex = Int(source.ignoreIndex(card: session.card))
            targets = try classes.map {
                try SegmentationTarget.make(region: region, classIndex: $0, prediction: prediction, labels: labels,
                                            ignoreIndex: ignoreIndex, height: height, width: width)
            }
        }
        let stem = file.stem
        let georeference = sample.georeference
        var records: [AttributionRecord] = []
        let outcome = session.task.scoresTiles ? tileOutcome(logits: logits, label: sample.label) : nil
        func base(_ target: SegmentationTarget) -> AttributionRecord {
            var record = AttributionRecord(tile: tile, method: config.method, className: names[target.classIndex],
                                           classIndex: target.classIndex, target: region.description, targetPixels: target.pixelCount)
            if let outcome {
                record.tileTask = outcome.task
                record.tilePredicted = outcome.predicted.map { names[$0] }
                record.tileConfidence = outcome.confidence
                record.tileLabel = outcome.reference.map { $0.map { names[$0] } }
            }
            return record
        }
        let compositeChannels = try self.compositeChannels(input)
        let scalars = input.scalars
        let compositeBands = compositeChannels.map { c in Array(scalars[c * height * width..<(c + 1) * height * width]) }
        /// Segment or grid outlines drawn on the heatmaps of runs with cells.
        var boundaries: [Bool]?
        let metresPerPixel = georeference.metresPerPixel
        /// Writes the raw map (GeoTIFF) and its labelled heatmap PNG (bands summed per pixel for
        /// per-band maps); `detail` is the layer or feature set named on the figure.
        func writeMap(_ values: [Float], bands: Int, class index: Int, detail: String) throws -> String {
            let name = "\(stem)_\(config.method)_\(names[index]).tif"
            let path = (config.out as NSString).appendingPathComponent(name)
            try GeoTIFFWriter.writeFloat32(Tensor(shape: [bands, height, width], scalars: values), to: path,
                                           georeference: georeference, options: config.rasterFormat.continuous)
            let plane = height * width
            var summed = Array(values[0..<plane])
            for b in 1..<max(bands, 1) { for i in 0..<plane { summed[i] += values[b * plane + i] } }
            try RasterStyles.attribution(besides: path, values: bands == 1 ? values : Array(values[0..<plane]),
                                         signed: !config.isCAM, quantity: method.valueDescription)
            let caption = AttributionFigures.caption(stem: stem, className: names[index], method: method, detail: detail,
                                                     target: region.description)
            try AttributionFigures.writeHeatmap(map: summed, height: height, width: width, composite: compositeBands,
                                                signed: !config.isCAM, boundaries: boundaries, caption: caption,
                                                metresPerPixel: metresPerPixel,
                                                path: (path as NSString).deletingPathExtension + ".png")
            return name
        }
        /// Writes the band-group bar chart (PNG and SVG) of a record without cells.
        func writeGroupChart(_ record: AttributionRecord) throws {
            guard let groups = record.groups, let values = record.values, !values.isEmpty, record.cellKind == nil else { return }
            let name = "\(stem)_\(config.method)_\(names[record.classIndex])_groups.png"
            let chart = GroupBarChart(names: groups, values: values,
                                      standardErrors: record.standardErrors?.count == values.count ? record.standardErrors : nil,
                                      baseValue: record.baseValue, fullValue: record.fullValue,
                                      title: "\(stem) · class \(names[record.classIndex]) · \(method.displayName)",
                                      quantity: method.valueDescription)
            try AttributionFigures.writeGroupChart(chart, path: (config.out as NSString).appendingPathComponent(name))
        }
        let baseline = try ExplanationBaseline.baseline(config.baseline, card: loaded.card, channels: model.inChannels)
            .tensor(for: input, layout: loaded.card.inputLayout)
        if let explainer = camExplainer, let camPass {
            for result in explainer.explain(pass: camPass, targets: targets, height: height, width: width) {
                let target = targets.first { $0.classIndex == result.classIndex }!
                var record = base(target)
                record.layer = result.layer
                record.map = try writeMap(result.map, bands: 1, class: result.classIndex, detail: "layer \(result.layer)")
                if config.sanity {
                    record.sanity = try sanity(map: result.map, target: target, input: input, baseline: baseline) { () throws(ExplainError) in
                        try explainer.explain(input, targets: [target])[0].map
                    }
                }
                records.append(record)
            }
            return records
        }
        let cells = try ExplanationCells(config: config, input: input, validity: validity, compositeChannels: compositeChannels,
                                         layout: session.card.inputLayout)
        let features = cells.features
        var segmentsFile: String?
        if cells.segmentation != nil {
            let name = "\(stem)_superpixels.tif"
            try cells.writeSegments(to: (config.out as NSString).appendingPathComponent(name), georeference: georeference,
                                    options: config.rasterFormat.classes)
            segmentsFile = name
        }
        boundaries = cells.outlines(height: height, width: width)
        /// A record with the tile's cell description.
        func cellRecord(_ target: SegmentationTarget) -> AttributionRecord {
            var record = base(target)
            record.cellKind = cells.kind
            record.cellCount = cells.kind.map { _ in cells.cellCount }
            record.segments = segmentsFile
            return record
        }
        switch method {
        case .shapExact, .kernelShap:
            func shapley(_ targets: [SegmentationTarget]) throws(ExplainError) -> [ShapleyResult] {
                if method == .shapExact {
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
                if cells.isSpatial {
                    let detail = AttributionFigures.featureSet(groups: cells.groupCount, cells: cells.kind,
                                                               cellCount: cells.cellCount, perBand: false)
                    record.map = try writeMap(map, bands: 1, class: target.classIndex, detail: detail)
                }
                if config.sanity {
                    if cells.isSpatial {
                        record.sanity = try sanity(map: map, target: target, input: input, baseline: baseline) { () throws(ExplainError) in
                            cells.pixelMap(try shapley([target])[0].values, height: height, width: width)
                        }
                    } else {
                        record.sanity = AttributionRecord.Sanity(steps: Self.sanitySteps, randomization: [],
                                               note: "band-group values without --grid or --superpixels give no per-pixel order: deletion/insertion and model randomization skipped")
                    }
                }
                try writeGroupChart(record)
                records.append(record)
            }
        default:
            let references = try background?.references(for: input, tile: tile) ?? [baseline]
            /// Per target, the attribution and, for DeepLIFT and DeepSHAP, the largest per-reference delta.
            func attributions(_ targets: [SegmentationTarget]) -> [(PixelAttribution, Double?)] {
                switch method {
                case .integratedGradients:
                    return IntegratedGradients.explain(model: model, input: input, baseline: baseline, targets: targets,
                                                       steps: config.steps, batchSize: config.batch).map { ($0, nil) }
                case .deeplift, .deepshap:
                    return DeepLift.attribute(model: model, input: input, references: references, targets: targets,
                                              batchSize: config.batch).map { ($0.pixelAttribution(input: 0), $0.maxAbsDelta) }
                default:
                    return GradientSHAP.explain(model: model, input: input, baselines: references, targets: targets,
                                                samples: config.samples, seed: config.seed, batchSize: config.batch).map { ($0, nil) }
                }
            }
            let results = attributions(targets)
            for (target, (result, maxAbsDelta)) in zip(targets, results) {
                var record = cellRecord(target)
                record.maxAbsDelta = maxAbsDelta
                record.groups = features.map(\.name)
                record.values = result.groupSums(features)
                record.standardErrors = result.standardError.map { [$0] }
                record.baseValue = result.baseValue
                record.fullValue = result.fullValue
                record.completenessResidual = result.completenessResidual
                let detail = AttributionFigures.featureSet(groups: cells.groupCount, cells: cells.kind, cellCount: cells.cellCount,
                                                           perBand: result.channels > 1)
                record.map = try writeMap(result.values, bands: result.channels, class: target.classIndex, detail: detail)
                if config.sanity {
                    record.sanity = try sanity(map: result.channelSum, target: target, input: input, baseline: baseline) { () throws(ExplainError) in
                        attributions([target])[0].0.channelSum
                    }
                }
                try writeGroupChart(record)
                records.append(record)
            }
        }
        return records
    }

    /// The targets of a tile classifier: the score of each class explained (pytorch-grad-cam's
    /// `ClassifierOutputTarget`). Classes are `--class`, else with `--target predicted` the top-1
    /// class (classification) or the classes above their threshold (multi-label; the top class
    /// when none is), with `--target label` the tile's reference class or classes (none for an
    /// empty set or an unlabelled tile).
    func tileTargets(logits: Tensor, region: TargetRegion, label: SampleLabel?, tile: String) throws -> [SegmentationTarget] {
        let classes: [Int]
        if let requested = config.classes {
            guard region == .predicted else {
                throw PipelineError.usage("--class and --target \(region) exclude each other for tile classifiers; give one")
            }
            classes = try session.classIndices(requested)
        } else {
            switch region {
            case .predicted:
                let top = predictedClasses(logits)
                if session.task == .multilabel {
                    let probabilities = session.probabilities(fromOutput: logits).scalars
                    let thresholds = session.card.decisionThreshold.values(classCount: session.classCount)
                    let above = probabilities.indices.filter { Double(probabilities[$0]) > thresholds[$0] }
                    classes = above.isEmpty ? top : above
                } else {
                    classes = top
                }
            case .label:
                switch label {
                case .tileClass(let index): classes = [index]
                // An empty set, or a tile without a row under --allow-unlabelled: nothing to explain.
                case .tileClasses(let indices): classes = indices.sorted()
                case nil where source.options.allowUnlabelled: classes = []
                default: throw PipelineError.usage("--target label needs tile labels: --labels labels.csv or --class-folders (\(tile) has none)")
                }
            default:
                throw PipelineError.usage("tile classifiers explain a class score: --target predicted (default) or label, "
                                          + "not '\(region)'")
            }
        }
        return classes.map { SegmentationTarget.classifierOutput(classIndex: $0) }
    }

    /// A tile classifier's prediction for one tile and its reference (`TileOutcome`, as `eval` scores it).
    func tileOutcome(logits: Tensor, label: SampleLabel?) -> TileOutcome {
        let probabilities = session.probabilities(fromOutput: logits).scalars
        let task: TileTask = session.task == .multilabel ? .multilabel : .classification
        let configuration = ClassificationConfiguration(
            task: task, classes: session.classNames,
            thresholds: task == .multilabel ? session.card.decisionThreshold.values(classCount: session.classCount) : [])
        return TileOutcome(TileScores(probabilities: probabilities, target: ClassificationRun.target(of: label)),
                           configuration: configuration)
    }

        /// The 0-based input channels shown under heatmaps (`composite` positions, default 3,2,1 or the first channel).
    private func compositeChannels(_ input: Tensor) throws -> [Int] {
        let channels = input.shape[1]
        let positions = config.composite ?? (channels >= 3 ? [3, 2, 1] : [1])
        if let bad = positions.first(where: { $0 > channels }) {
            throw PipelineError.usage("composite channel \(bad) is beyond the model's \(channels) input channels")
        }
        return positions.map { $0 - 1 }
    }
}
