import Foundation
public import GeoLensExplain
import GeoLensGeo
public import GeoLensNN
public import GeoLensTensor

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
            // Per stacked channel: the card's scale and offset, or each input's own.
            let scaling: [(Double, Double)] = card.inputs.map { inputs in
                inputs.flatMap { input in Array(repeating: (input.inputScale, input.inputOffset), count: input.channels) }
            } ?? Array(repeating: (card.inputScale, card.inputOffset), count: channels)
            return .perChannel(raw.enumerated().map { c, value in
                normalization.normalize(Float(value * scaling[c].0 + scaling[c].1), channel: c)
            })
        }
    }
}

extension Baseline {
    /// The baseline tensor of a tile; for a multi-input card the per-band tile mean is kept for
    /// raster inputs, and scalar inputs take 0 in normalized units (the training mean), since a
    /// constant plane's tile mean is the value itself.
    public func tensor(for input: Tensor, layout: ModelInputLayout?) throws -> Tensor {
        let tensor = try self.tensor(for: input)
        guard self == .tileMean, let layout, layout.entries.contains(where: \.isScalar) else { return tensor }
        let plane = input.shape[2] * input.shape[3]
        return tensor.withUnsafeBufferPointer { p in
            Tensor(shape: tensor.shape) { out in
                out.baseAddress!.update(from: p.baseAddress!, count: p.count)
                for entry in layout.entries where entry.isScalar {
                    for c in entry.channels { for i in c * plane..<(c + 1) * plane { out[i] = 0 } }
                }
            }
        }
    }
}
