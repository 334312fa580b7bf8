/// The checks every shard-state merge makes (segmentation and tile tasks alike), with the
/// messages users see.
enum ShardMergeCheck {
    /// Refuses shard `index` when its configuration differs from shard 0's (`difference`, as the
    /// configuration's `firstDifference` describes it) or it evaluated another checkpoint.
    static func shard(_ index: Int, configurationDifference difference: String?,
                      model: ModelIdentity?, mergedModel: ModelIdentity?) throws {
        if let difference {
            throw EvaluationError(.configurationMismatch,
                "merge: shard \(index) has \(difference) different from shard 0; merge only shards of the same evaluation")
        }
        if let a = mergedModel, let b = model, a.sha256 != b.sha256 {
            throw EvaluationError(.modelMismatch,
                "merge: shard \(index) evaluated model \(b.path) (sha256 \(b.sha256)), shard 0 evaluated \(a.path) (sha256 \(a.sha256)); merge shards of one checkpoint")
        }
    }

    /// The error for tile `id` seen again in shard `index`.
    static func duplicate(_ id: String, shard index: Int) -> EvaluationError {
        EvaluationError(.duplicateTile,
            "merge: tile \"\(id)\" appears in more than one shard (again in shard \(index)); shards must hold disjoint tiles")
    }
}
