import Foundation
import GeoLensExplain
import GeoLensGeo
import GeoLensNN
import GeoLensTensor

/// Finding the tiles of an explain run and reading them exactly as eval feeds the model.
enum ExplainInputs {
    /// GeoTIFFs named by `input`: one file, every `.tif`/`.tiff` of a directory, or a glob; sorted.
    static func tiles(_ input: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { return [input] }
            let names = try FileManager.default.contentsOfDirectory(atPath: input)
                .filter { ["tif", "tiff"].contains(($0 as NSString).pathExtension.lowercased()) }
            guard !names.isEmpty else { throw Failure.usage("input directory \(input) holds no .tif files") }
            return names.sorted().map { (input as NSString).appendingPathComponent($0) }
        }
        var result = glob_t()
        defer { globfree(&result) }
        guard glob(input, 0, nil, &result) == 0 else {
            throw Failure.usage("input \(input) is neither a file, a directory nor a glob matching files")
        }
        return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }.sorted()
    }

    /// The model input [1, C, H, W] of a tile: the card's bands, input_scale/offset, then mean/std;
    /// with the validity of each pixel (false where any fed band is nodata or not finite).
    static func read(_ path: String, card: ModelCard, channels: Int) throws -> (input: Tensor, validity: [Bool], raster: Raster) {
        let raster = try Raster(path: path)
        let bands = card.bands ?? Array(1...raster.bandCount)
        guard bands.count == channels else {
            throw Failure.runtime("\(path): the model takes \(channels) channels but \(bands.count) bands are fed "
                                  + "(card 'bands' or the raster's band count); set 'bands' in the model card")
        }
        let block = try raster.read(bands: bands, scale: Float(card.inputScale), offset: Float(card.inputOffset))
        var input = block.values.reshaped([1, channels, raster.height, raster.width])
        InputNormalization(card: card, channels: channels).apply(to: &input)
        return (input, block.validity, raster)
    }

    /// The baseline of a run: `mean`, `zero`, or a JSON file with one raw value per fed band
    /// (mapped through input_scale/offset and the card's normalization).
    static func baseline(_ text: String, card: ModelCard, channels: Int) throws -> Baseline {
        switch text {
        case "mean": return .tileMean
        case "zero": return .zero
        default:
            let url = URL(fileURLWithPath: text)
            guard let data = try? Data(contentsOf: url) else {
                throw Failure.usage("baseline '\(text)' is not mean, zero or a readable JSON file of per-band values")
            }
            guard let raw = try? JSONDecoder().decode([Double].self, from: data), raw.count == channels else {
                throw Failure.usage("baseline file \(text) must be a JSON array of \(channels) numbers (raw band values)")
            }
            let normalization = InputNormalization(card: card, channels: channels)
            return .perChannel(raw.enumerated().map { c, value in
                (Float(value * card.inputScale + card.inputOffset) - normalization.mean[c]) / normalization.std[c]
            })
        }
    }

    /// Reference labels of a tile: the file with the same name in `directory`.
    static func labels(for tile: String, in directory: String, ignoreIndex: Int) throws -> [Int] {
        let path = (directory as NSString).appendingPathComponent((tile as NSString).lastPathComponent)
        guard FileManager.default.fileExists(atPath: path) else {
            throw Failure.runtime("no label raster \(path) for tile \(tile): labels are paired by file name")
        }
        return try LabelReader(path: path, ignoreIndex: Int32(ignoreIndex)).read().map(Int.init)
    }

    /// Class indices from names or indices; nil entries are errors naming the class.
    static func classIndices(_ requested: [String], names: [String]) throws -> [Int] {
        try requested.map { text in
            if let index = names.firstIndex(of: text) { return index }
            if let index = Int(text), names.indices.contains(index) { return index }
            throw Failure.usage("class '\(text)' is neither a class name (\(names.joined(separator: ", "))) nor an index below \(names.count)")
        }
    }
}
