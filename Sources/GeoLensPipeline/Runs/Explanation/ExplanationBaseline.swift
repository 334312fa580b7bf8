import Foundation
import GeoLensExplain
import GeoLensGeo
import GeoLensNN
import GeoLensTensor

/// The baseline an explanation compares the tile with.
enum ExplanationBaseline {
    /// The baseline of a run: `mean`, `zero`, or a JSON file with one raw value per fed band
    /// (mapped through input_scale/offset and the card's normalization).
    static func baseline(_ text: String, card: ModelCard, channels: Int) throws -> Baseline {
        switch text {
        case "mean": return .tileMean
        case "zero": return .zero
        default:
            let url = URL(fileURLWithPath: text)
            guard let data = try? Data(contentsOf: url) else {
                throw PipelineError.usage("baseline '\(text)' is not mean, zero or a readable JSON file of per-band values")
            }
            guard let raw = try? JSONDecoder().decode([Double].self, from: data), raw.count == channels else {
                throw PipelineError.usage("baseline file \(text) must be a JSON array of \(channels) numbers (raw band values)")
            }
            let normalization = InputNormalization(card: card, channels: channels)
            return .perChannel(raw.enumerated().map { c, value in
                normalization.normalize(Float(value * card.inputScale + card.inputOffset), channel: c)
            })
        }
    }
}
