import Foundation
import GeoLensNN

/// Settings of `geolens eval` (config file keys; flags map onto the same keys).
struct EvalConfig: Decodable {
    /// Checkpoint path (safetensors, PyTorch zip).
    var model: String
    /// Model card path; default: the checkpoint's sidecar.
    var modelCard: String?
    /// Image directory or glob (`tiles/*.tif`).
    var images: String
    /// Label directory; labels are paired with images by file stem.
    var labels: String
    /// Output directory.
    var out: String
    var imageSuffix: String
    var labelSuffix: String
    var batch: Int
    var threads: Int?
    /// `I/N`: evaluate only shard I (0-based) of N.
    var shard: String?
    /// Overrides the card's ignore index.
    var ignoreIndex: Int?
    /// Label value remapping, e.g. `{"10": 0, "20": 1}`.
    var labelRemap: [String: Int]?
    /// Number of MC-dropout passes (0: off).
    var mcDropout: Int
    var bootstrapResamples: Int
    var seed: UInt64
    var writePredictions: Bool
    var writeProbabilities: Bool

    enum CodingKeys: String, CodingKey, CaseIterable {
        case model, images, labels, out, batch, threads, shard, seed
        case modelCard = "model_card", imageSuffix = "image_suffix", labelSuffix = "label_suffix"
        case ignoreIndex = "ignore_index", labelRemap = "label_remap", mcDropout = "mc_dropout"
        case bootstrapResamples = "bootstrap_resamples", writePredictions = "write_predictions"
        case writeProbabilities = "write_probabilities"
    }

    init(from decoder: Decoder) throws {
        try StrictDecoding.rejectUnknownKeys(in: decoder, allowed: CodingKeys.self, context: "eval config")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(String.self, forKey: .model)
        modelCard = try c.decodeIfPresent(String.self, forKey: .modelCard)
        images = try c.decode(String.self, forKey: .images)
        labels = try c.decode(String.self, forKey: .labels)
        out = try c.decode(String.self, forKey: .out)
        imageSuffix = try c.decodeIfPresent(String.self, forKey: .imageSuffix) ?? ""
        labelSuffix = try c.decodeIfPresent(String.self, forKey: .labelSuffix) ?? ""
        batch = try c.decodeIfPresent(Int.self, forKey: .batch) ?? 4
        threads = try c.decodeIfPresent(Int.self, forKey: .threads)
        shard = try c.decodeIfPresent(String.self, forKey: .shard)
        ignoreIndex = try c.decodeIfPresent(Int.self, forKey: .ignoreIndex)
        labelRemap = try c.decodeIfPresent([String: Int].self, forKey: .labelRemap)
        mcDropout = try c.decodeIfPresent(Int.self, forKey: .mcDropout) ?? 0
        bootstrapResamples = try c.decodeIfPresent(Int.self, forKey: .bootstrapResamples) ?? 1000
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 0
        writePredictions = try c.decodeIfPresent(Bool.self, forKey: .writePredictions) ?? false
        writeProbabilities = try c.decodeIfPresent(Bool.self, forKey: .writeProbabilities) ?? false
    }

    /// Range checks that decoding cannot express; each names its key.
    func validate(source: String) throws {
        func fail(_ key: CodingKeys, _ why: String) -> Failure { .usage("\(source): key '\(key.rawValue)' \(why)") }
        if batch < 1 || batch > 1024 { throw fail(.batch, "must be between 1 and 1024, got \(batch)") }
        if let threads, threads < 1 || threads > 1024 { throw fail(.threads, "must be between 1 and 1024, got \(threads)") }
        if mcDropout < 0 || mcDropout > 1000 { throw fail(.mcDropout, "must be between 0 and 1000, got \(mcDropout)") }
        if mcDropout == 1 { throw fail(.mcDropout, "needs at least 2 passes (or 0 to switch it off)") }
        if bootstrapResamples < 1 || bootstrapResamples > 100_000 {
            throw fail(.bootstrapResamples, "must be between 1 and 100000, got \(bootstrapResamples)")
        }
        if let labelRemap, let bad = labelRemap.keys.first(where: { Int($0) == nil }) {
            throw fail(.labelRemap, "maps '\(bad)', which is not an integer label value")
        }
        if writeProbabilities && !writePredictions {
            throw fail(.writeProbabilities, "needs 'write_predictions: true'")
        }
    }
}
