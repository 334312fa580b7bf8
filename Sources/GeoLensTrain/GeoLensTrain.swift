/// GeoLensTrain: a hook-based training loop on GeoLens's engine.
///
/// - `Loop/`: `Trainer` (the loop: seeded data order, crops, augmentation and dropout per
///   epoch/batch; gradient accumulation, clipping, schedule; validation through GeoLensEval's
///   `EvaluationAccumulator`), `TrainingConfiguration` (strict config), `TrainingRun` (what hooks
///   see and steer, history files, run-directory naming).
/// - `Hooks/`: `TrainingHook` and the built-ins `EntropyRegularization`, `UncertaintyTracking`,
///   `EarlyStopping`, `AttributionSnapshots` (GradCAM++ maps of fixed validation tiles every N
///   epochs), `Checkpointing` (best/last safetensors + model card + metadata; optimizer state for
///   `--resume`), written as one unit by `CheckpointFileSet` so a kill never leaves a torn checkpoint.
/// - `Snapshots/`: the snapshot hook's configuration, `snapshots.json` index, heatmap figure and
///   `index.html` gallery.
/// - `Losses/`: fused single-pass kernels for cross-entropy (weights, ignore index, label
///   smoothing), focal, Dice, mean softmax entropy; `LossRegistry` by name.
/// - `Optimizers/`: SGD (momentum, Nesterov), Adam, AdamW (no decay on biases and norms),
///   gradient-norm clipping, warmup + cosine / constant / step schedules.
/// - `Data/`: tiles read like evaluation reads them, stratified or listed splits, class cap,
///   normalization statistics of the training split, joint image/label augmentation.
public enum GeoLensTrain {}
