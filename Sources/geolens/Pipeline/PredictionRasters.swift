import Foundation
import GeoLensGeo
import GeoLensTensor

/// Per-tile prediction GeoTIFFs of `eval`: `<stem>_pred.tif` (class ids, UInt8, 255 = no data),
/// `<stem>_entropy.tif` and optionally `<stem>_prob.tif` (Float32), georeferenced like the tile.
enum PredictionRasters {
    static func write(output: Tensor, tiles: [TileInput], runner: ModelRunner, classNames: [String],
                      to directory: URL, probabilities writeProbabilities: Bool) throws {
        let probabilities = runner.outputIsProbabilities ? output : output.softmax(alongAxis: 1)
        let classes = probabilities.shape[1]
        for (n, tile) in tiles.enumerated() {
            let plane = tile.height * tile.width
            let p = probabilities.slice(alongAxis: 0, start: n, end: n + 1)
            let summary = PixelSummary(probabilities: p, validity: tile.validity)
            let base = directory.appendingPathComponent(tile.pair.stem).path
            try GeoTIFFWriter.writeClassIds(summary.classIds, width: tile.width, height: tile.height, to: base + "_pred.tif",
                                            georeference: tile.georeference)
            try GeoTIFFWriter.writeFloat32(Tensor(shape: [1, tile.height, tile.width], scalars: summary.entropy),
                                           to: base + "_entropy.tif", georeference: tile.georeference,
                                           bandDescriptions: ["entropy"], nodata: .nan)
            if writeProbabilities {
                var masked = p.reshaped([classes, tile.height, tile.width])
                masked.withUnsafeMutableBufferPointer { values in
                    for c in 0..<classes { for i in 0..<plane where !tile.validity[i] { values[c * plane + i] = .nan } }
                }
                try GeoTIFFWriter.writeFloat32(masked, to: base + "_prob.tif", georeference: tile.georeference,
                                               bandDescriptions: classNames, nodata: .nan)
            }
        }
    }
}
