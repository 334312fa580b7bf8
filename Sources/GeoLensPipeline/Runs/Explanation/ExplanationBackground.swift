import Foundation
import GeoLensExplain
import GeoLensTensor

/// The background tiles of `deepshap` and `gradient-shap`: read and normalized exactly as the
/// explained tiles are (the card's bands, scale and offset, mean and std), at most `count` of
/// them, evenly spaced over the sorted listing. Their model inputs are the reference
/// distribution the explanation averages over.
struct ExplanationBackground: Sendable {
    /// The background tiles' image files, in order.
    let files: [String]
    /// Each tile's normalized model input (every input stacked, as the model is fed), `[1, C, H, W]`.
    let inputs: [Tensor]

    /// Lists `path` (a GeoTIFF, directory, glob or list file) and reads up to `count` tiles, with
    /// the same bound input `sources` as the explained tiles (a multi-input card's other inputs).
    static func load(_ path: String, count: Int, sources: [String: String] = [:],
                     session: ModelSession) throws(PipelineError) -> ExplanationBackground {
        var options = SampleSourceOptions(images: path)
        options.sources = sources
        let source = try SampleSource(options.absolute)
        let all = source.files
        let picked = count >= all.count ? all : (0..<count).map { all[$0 * all.count / count] }
        var files: [String] = [], inputs: [Tensor] = []
        for file in picked {
            let sample = try source.read(file, card: session.card)
            let image = sample.stacked
            try session.checkChannels(image.shape[0], source: file.image)
            files.append(file.image)
            inputs.append(session.normalized(image.reshaped([1] + image.shape)))
        }
        return ExplanationBackground(files: files, inputs: inputs)
    }

    /// The references for a tile whose model input is `input`; every background tile must have
    /// the tile's shape.
    func references(for input: Tensor, tile: String) throws(PipelineError) -> [Tensor] {
        if let (file, other) = zip(files, inputs).first(where: { $0.1.shape != input.shape }) {
            throw .data("background tile \(file) gives a model input of \(other.shape.dropFirst().map(String.init).joined(separator: " x ")) "
                        + "(bands x height x width) but \(tile) gives \(input.shape.dropFirst().map(String.init).joined(separator: " x ")): "
                        + "background tiles must have the explained tiles' size")
        }
        return inputs
    }
}
