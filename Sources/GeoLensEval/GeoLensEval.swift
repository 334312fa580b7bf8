/// GeoLensEval: streaming segmentation metrics with fixed-size state (confusion matrix,
/// entropy sums, calibration bins), per-tile rows, bootstrap intervals and mergeable shard states.
///
/// The flow of an evaluation:
/// 1. `EvaluationAccumulator.add(_:labels:valid:tileIDs:)` takes each batch of model outputs
///    (`[N, C, H, W]` logits or probabilities) with its labels and makes one pass over the
///    pixels (`ImagePass`), filling a `TileTally` per tile; `addMonteCarloDropout` adds the
///    mutual information of MC-dropout passes.
/// 2. The `EvaluationState` (tiles keyed by id) is written as `state.json`; shard states
///    combine with `EvaluationState.merge`, bit-identically to one run.
/// 3. `MetricsReport` (metrics.json), `EvaluationCSV` (per_tile.csv, confusion.csv) and
///    `TileBootstrap` (ci95, paired comparison) turn a state into outputs, written with
///    `AtomicFile`.
///
/// Tile tasks (classification, multi-label) live in `Classification/`: a `ClassificationState`
/// keeps each tile's K probabilities and reference (`TileScores`), from which
/// `ClassificationMetrics` / `MultilabelMetrics` compute torchmetrics-1.9 metrics with exact
/// AUROC and average precision (`RankingCurve`), `ClassificationBootstrap` the intervals, and
/// `ClassificationOutputs` the files; shard states merge exactly.
///
/// Definitions follow METRICS.md (`MetricFormulas.swift` is where they live) and are checked
/// against torchmetrics by the fixtures under `fixtures/reference/metrics`.
public enum GeoLensEval {}
