public import Foundation
import GeoLensEval
public import GeoLensGeo
public import GeoLensNN
import GeoLensReport

/// STAC MLM 1.5 items for checkpoints (`geolens export-stac M`, and `geolens train` beside each
/// checkpoint): the card mapped by `MLMItem.export`, plus what GeoLens knows about the file (its
/// sha256 and size, the parameter count, the report palette as class colour hints, and band names
/// from a raster's band descriptions).
public enum STACExport {
    /// The item written beside `checkpoint` by default: `best.safetensors` -> `best.item.json`,
    /// which `geolens eval --model best.safetensors` finds as its sidecar.
    public static func itemPath(for checkpoint: String) -> String {
        (checkpoint as NSString).deletingPathExtension + ".item.json"
    }

    /// Writes the item of `checkpoint` (with `card` or its sidecar) to `out` (default
    /// `itemPath(for:)`); `bandsFrom` names the fed bands after that raster's band descriptions.
    /// Returns the item's path.
    @discardableResult
    public static func write(checkpoint: String, card: String? = nil, out: String? = nil, bandsFrom: String? = nil,
                             title: String? = nil, description: String? = nil) throws(PipelineError) -> String {
        let session = try ModelSession.load(checkpoint: checkpoint, card: card)
        let checkpointURL = session.loaded.checkpoint
        let itemURL = URL(fileURLWithPath: out ?? itemPath(for: checkpointURL.path))
        var names: [String]?
        if let bandsFrom {
            let raster = try PipelineError.wrapping(context: bandsFrom) { try Raster(path: bandsFrom) }
            names = try bandNames(of: raster, card: session.card)
            if names == nil {
                throw .data("\(bandsFrom) has no band descriptions to name the model's bands after (set them with gdal_edit.py -bandDesc)")
            }
        }
        let parameters = session.card.architecture == "onnx" ? nil : (try? ModelRegistry.build(session.card))?.parameterCount
        let data = try item(card: session.card, checkpoint: checkpointURL, itemURL: itemURL, format: session.loaded.format,
                            inputChannels: session.inputChannels, classCount: session.classCount, parameterCount: parameters,
                            bandNames: names, title: title, description: description)
        try PipelineError.wrapping(context: itemURL.path) { try AtomicFile.write(data, to: itemURL) }
        return itemURL.path
    }

    /// The item's JSON for a card held in memory (the trainer's), with the checkpoint's sha256 and
    /// size read from `checkpointFile` (default: `checkpoint`; the trainer passes its staged copy).
    public static func item(card: ModelCard, checkpoint: URL, itemURL: URL, format: String, inputChannels: Int,
                            classCount: Int, parameterCount: Int?, bandNames: [String]?, checkpointFile: URL? = nil,
                            title: String? = nil, description: String? = nil,
                            datetime: Date = Date()) throws(PipelineError) -> Data {
        let file = checkpointFile ?? checkpoint
        var facts = MLMItem.ExportFacts(checkpoint: checkpoint, format: format, inputChannels: inputChannels,
                                        classCount: classCount, datetime: datetime)
        facts.parameterCount = parameterCount
        facts.sha256 = try SHA256.hexDigest(of: file)
        facts.byteCount = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? nil
        facts.bandNames = bandNames
        facts.classColors = ClassPalette(classCount: classCount).colors.map { color in
            [color.red, color.green, color.blue].map { String(format: "%02x", $0) }.joined()
        }
        facts.title = title
        facts.description = description ?? "Semantic segmentation checkpoint \(checkpoint.lastPathComponent), described by GeoLens \(GeoLensVersion.current)"
        return try PipelineError.wrapping(context: itemURL.path) { try MLMItem.export(card: card, facts: facts, itemURL: itemURL) }
    }

    /// The descriptions of the bands `card` feeds from `raster` (all when the card selects none),
    /// or nil when any is empty or two are equal.
    public static func bandNames(of raster: Raster, card: ModelCard) throws(PipelineError) -> [String]? {
        let bands = try BandSelection.bands(for: card, raster: raster) ?? Array(1...raster.bandCount)
        let names = bands.map { raster.bands[$0 - 1].bandDescription.trimmingCharacters(in: .whitespaces) }
        guard !names.contains(where: \.isEmpty), Set(names).count == names.count else { return nil }
        return names
    }
}
