/// GeoLensTrain: a hook-based training loop on GeoLens's engine — losses, optimizers,
/// learning-rate schedules, hooks (entropy regularization, uncertainty tracking, early stopping,
/// checkpointing, attribution snapshots), and resumable runs.
public enum GeoLensTrain {}
