import GeoLensTensor
import Foundation
public import GeoLensGeo
public import GeoLensNN

/// Which raster bands feed the model: the card's 1-based `bands`, or its `band_names` (what STAC
/// MLM items give) matched to the raster's band descriptions, or all bands.
///
/// A name matches a band whose description equals it (ignoring case), else the one band whose
/// description holds it as a word (`B4` or `red` in "B4 red"). A raster without band
/// descriptions is fed in order when it has exactly as many bands as names, and a note says so
/// on stderr once per raster layout.
public enum BandSelection {
    /// The 1-based bands of `raster` to read for `card` (nil: all bands, in order).
    public static func bands(for card: ModelCard, raster: Raster) throws(PipelineError) -> [Int]? {
        if let bands = card.bands {
            if let bad = bands.first(where: { $0 < 1 || $0 > raster.bandCount }) {
                throw .data("\(raster.path) has \(raster.bandCount) bands but the model card selects band \(bad)")
            }
            return bands
        }
        guard let names = card.bandNames else { return nil }
        let descriptions = raster.bands.map(\.bandDescription)
        if descriptions.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            guard descriptions.count == names.count else {
                throw .data("\(raster.path) has \(descriptions.count) bands without descriptions, but the model expects the "
                            + "\(names.count) bands \(names.joined(separator: ", ")); set band descriptions (gdal_edit.py -bandDesc) "
                            + "or 'bands' in a model card")
            }
            note(once: names.joined(separator: "\u{1}"),
                 "\(raster.path) has no band descriptions; feeding its \(names.count) bands in order as "
                 + "\(names.joined(separator: ", ")) (and so for every such raster of this run)")
            return Array(1...names.count)
        }
        return try names.map { (name: String) throws(PipelineError) -> Int in try match(name, in: descriptions, path: raster.path) }
    }

    /// The 1-based band whose description is `name`.
    static func match(_ name: String, in descriptions: [String], path: String) throws(PipelineError) -> Int {
        let wanted = name.lowercased()
        let exact = descriptions.indices.filter { descriptions[$0].lowercased() == wanted }
        if exact.count == 1 { return exact[0] + 1 }
        let separators = CharacterSet.whitespaces.union(CharacterSet(charactersIn: ",;:()[]/|"))
        let worded = descriptions.indices.filter {
            descriptions[$0].lowercased().components(separatedBy: separators).contains(wanted)
        }
        if exact.isEmpty && worded.count == 1 { return worded[0] + 1 }
        let listed = descriptions.enumerated().map { "\($0.offset + 1): '\($0.element)'" }.joined(separator: ", ")
        if exact.count + worded.count == 0 {
            throw .data("\(path) has no band described as '\(name)' (its bands: \(listed)); the model card's band_names must match")
        }
        throw .data("\(path) has several bands that could be '\(name)' (its bands: \(listed)); make the descriptions unique")
    }

    private static let noted = Locked<Set<String>>([])

    /// Writes `text` to stderr the first time `key` is noted in this process.
    static func note(once key: String, _ text: String) {
        let first = noted.withLock { $0.insert(key).inserted }
        if first { FileHandle.standardError.write(Data("note: \(text)\n".utf8)) }
    }
}
