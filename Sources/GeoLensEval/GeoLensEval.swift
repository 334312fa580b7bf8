/// GeoLensEval: streaming segmentation metrics with fixed-size state (confusion matrix,
/// entropy sums, calibration bins), per-tile rows, bootstrap intervals and mergeable shard states.
public enum GeoLensEval {}
