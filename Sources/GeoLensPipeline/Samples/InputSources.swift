import Foundation
public import GeoLensGeo
public import GeoLensNN
import GeoLensTensor

/// A source of model inputs bound by name (`--source NAME=PATH`, config `sources:`), read for
/// each tile on the tile's pixel grid:
///
/// - a directory of rasters, paired with the tiles by file stem (read as they are when on the
///   tile's grid, else warped onto it);
/// - a single raster covering the area at any resolution and CRS, warped onto each tile's grid
///   with GDAL (the input's `resampling`; nodata and uncovered pixels become invalid pixels);
/// - a CSV (`.csv`) of per-tile scalars, keyed by tile stem or file name in its `tile` column
///   (else its first column), one column per scalar.
public struct InputSource: Sendable {
    public enum Kind: Sendable {
        case rasterDirectory
        case raster
        case table
    }

    public let name: String
    public let path: String
    public let kind: Kind
    /// Rasters of a directory source by stem and by file name.
    let rasters: [String: String]
    let raster: Raster?
    let table: ScalarTable?

    /// Opens the source at `path`: a directory, a `.csv` table or a raster file.
    public init(name: String, path: String) throws(PipelineError) {
        self.name = name
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .usage("source '\(name)': \(path) does not exist")
        }
        if isDirectory.boolValue {
            kind = .rasterDirectory
            let dataset = try PipelineError.wrapping(context: "source '\(name)'") { try TileDataset(images: path) }
            var rasters: [String: String] = [:]
            for pair in dataset.pairs {
                let file = fileName(of: pair.image)
                rasters[file] = pair.image
                rasters[(file as NSString).deletingPathExtension] = pair.image
            }
            self.rasters = rasters
            raster = nil
            table = nil
        } else if path.lowercased().hasSuffix(".csv") {
            kind = .table
            rasters = [:]
            raster = nil
            table = try ScalarTable(path: path)
        } else {
            kind = .raster
            rasters = [:]
            raster = try PipelineError.wrapping(context: "source '\(name)'") { try Raster(path: path) }
            table = nil
        }
    }

    /// The raster of this source for `file`: its stem's raster in a directory, or the one raster.
    func raster(for file: TilePair) throws(PipelineError) -> Raster {
        if let raster { return raster }
        let name = fileName(of: file.image)
        let keys = [file.stem, (name as NSString).deletingPathExtension, name]
        guard let match = keys.lazy.compactMap({ self.rasters[$0] }).first else {
            throw .data("source '\(self.name)' (\(path)) has no raster for tile \(file.image) (looked for \(file.stem).tif); "
                        + "rasters of a source directory pair with the tiles by file stem")
        }
        return try PipelineError.wrapping { try Raster(path: match) }
    }
}

/// The sources a run binds, by name, and the reading of a multi-input card's inputs from them.
public struct InputSources: Sendable {
    public let sources: [String: InputSource]

    /// Opens every bound source; `images` is reserved for the tiles themselves.
    public init(_ bindings: [String: String]) throws(PipelineError) {
        var sources: [String: InputSource] = [:]
        for (name, path) in bindings.sorted(by: { $0.key < $1.key }) {
            if name == ModelInput.imagesSource {
                throw .usage("source name 'images' is the tiles themselves (--images); bind other sources under other names")
            }
            sources[name] = try InputSource(name: name, path: path)
        }
        self.sources = sources
    }

    /// `NAME=PATH` flags as a map; a malformed or repeated name is a usage error.
    public static func parse(_ flags: [String]) throws(PipelineError) -> [String: String] {
        var bindings: [String: String] = [:]
        for flag in flags {
            guard let equals = flag.firstIndex(of: "="), equals != flag.startIndex, flag.index(after: equals) != flag.endIndex else {
                throw .usage("--source '\(flag)' must be NAME=PATH (e.g. --source dem=data/dem.tif)")
            }
            let name = String(flag[..<equals]).trimmingCharacters(in: .whitespaces)
            if bindings[name] != nil { throw .usage("--source binds '\(name)' twice") }
            bindings[name] = String(flag[flag.index(after: equals)...])
        }
        return bindings
    }

    /// Checks that every input of `card` reads a bound source of the right kind.
    public func check(card: ModelCard) throws(PipelineError) {
        guard let inputs = card.inputs else {
            if let name = sources.keys.sorted().first {
                throw .usage("source '\(name)' is bound but the model card has no 'inputs' that read it; "
                             + "a multi-source model lists its inputs in the card")
            }
            return
        }
        for input in inputs where input.source != ModelInput.imagesSource {
            guard let source = sources[input.source] else {
                let bound = sources.keys.sorted()
                throw .usage("the model card's input '\(input.name)' reads source '\(input.source)', which is not bound; pass "
                             + "--source \(input.source)=PATH (config sources:)" + (bound.isEmpty ? "" : "; bound: \(bound.joined(separator: ", "))"))
            }
            if input.isScalar, source.kind != .table {
                throw .usage("the model card's input '\(input.name)' takes columns \(input.columns ?? []), but source '\(input.source)' "
                             + "(\(source.path)) is a raster; bind a CSV of per-tile values")
            }
            if !input.isScalar, source.kind == .table {
                throw .usage("the model card's input '\(input.name)' takes bands, but source '\(input.source)' (\(source.path)) is a table")
            }
            if let table = source.table, let columns = input.columns {
                try table.checkColumns(columns, input: input.name)
            }
        }
        if let unused = sources.keys.sorted().first(where: { name in !inputs.contains { $0.source == name } }) {
            throw .usage("source '\(unused)' (\(sources[unused]!.path)) is bound but no input of the model card reads it")
        }
    }

    /// Reads the inputs of `card` for `file` on the grid of `window` of its raster `tile` (the
    /// whole tile by default): each raster input read or warped onto that grid, each scalar input
    /// as constant planes. The validity is false wherever any raster input is invalid.
    public func read(card: ModelCard, file: TilePair, tile: Raster,
                     window: RasterWindow? = nil) throws(PipelineError) -> (inputs: [SampleInput], validity: [Bool]) {
        guard let inputs = card.inputs else { preconditionFailure("InputSources.read: the card has no inputs") }
        let window = window ?? tile.fullWindow
        let plane = window.pixelCount
        var validity = [Bool](repeating: true, count: plane)
        var result: [SampleInput] = []
        for input in inputs {
            let scale = Float(input.inputScale), offset = Float(input.inputOffset)
            if let columns = input.columns {
                guard let table = sources[input.source]?.table else {
                    throw .usage("the model card's input '\(input.name)' reads source '\(input.source)', which is not a bound table")
                }
                let values = try table.values(for: file, columns: columns, input: input.name)
                let planes = Tensor(shape: [values.count, window.height, window.width]) { out in
                    for (k, value) in values.enumerated() {
                        let v = value * scale + offset
                        for i in k * plane..<(k + 1) * plane { out[i] = v }
                    }
                }
                result.append(SampleInput(name: input.name, values: planes))
                continue
            }
            let block: RasterBlock
            if input.source == ModelInput.imagesSource {
                block = try PipelineError.wrapping(context: file.image) {
                    try tile.read(window: window, bands: input.bands, scale: scale, offset: offset)
                }
            } else {
                guard let source = sources[input.source] else {
                    throw .usage("the model card's input '\(input.name)' reads source '\(input.source)', which is not bound (--source \(input.source)=PATH)")
                }
                let raster = try source.raster(for: file)
                block = try PipelineError.wrapping { () throws -> RasterBlock in
                    if (try? tile.checkAligned(with: raster)) != nil {
                        return try raster.read(window: window, bands: input.bands, scale: scale, offset: offset)
                    }
                    guard let grid = RasterGrid(of: tile, window: window) else {
                        throw PipelineError.data("tile \(file.image) has no georeference, so source '\(source.name)' (\(raster.path)) "
                                                 + "cannot be warped onto it; give the tile a geotransform and CRS or the source its grid")
                    }
                    let resampling = WarpResampling(rawValue: input.resampling ?? "bilinear") ?? .bilinear
                    return try raster.warped(to: grid, gridName: "tile \(file.image)", bands: input.bands, resampling: resampling,
                                             scale: scale, offset: offset)
                }
            }
            for i in 0..<plane where !block.validity[i] { validity[i] = false }
            result.append(SampleInput(name: input.name, values: block.values))
        }
        return (result, validity)
    }
}

/// A CSV of per-tile scalars: a `tile` column (else the first column) holding the tile's stem,
/// file name or relative path, and one numeric column per scalar.
struct ScalarTable: Sendable {
    let path: String
    let columns: [String]
    private let keyColumn: Int
    private let rows: [String: (line: Int, fields: [String])]

    init(path: String) throws(PipelineError) {
        self.path = path
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .data("cannot read source table \(path): \(error.localizedDescription)")
        }
        var records = try TileLabelTable.records(text, path: path)
        guard !records.isEmpty else { throw .data("source table \(path) is empty; its first line must name a tile column and value columns") }
        let header = records.removeFirst()
        columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        keyColumn = columns.firstIndex { $0.lowercased() == "tile" } ?? 0
        var rows: [String: (line: Int, fields: [String])] = [:]
        for record in records {
            guard record.fields.count == columns.count else {
                throw .data("\(path) line \(record.line): \(record.fields.count) fields for \(columns.count) header columns")
            }
            let key = record.fields[keyColumn].trimmingCharacters(in: .whitespaces)
            if let other = rows[key] {
                throw .data("\(path) line \(record.line): tile '\(key)' appears again (first on line \(other.line)); keep one row per tile")
            }
            rows[key] = (record.line, record.fields)
        }
        self.rows = rows
    }

    func checkColumns(_ wanted: [String], input: String) throws(PipelineError) {
        if let missing = wanted.first(where: { !columns.contains($0) }) {
            throw .data("\(path) has no column '\(missing)' that the model card's input '\(input)' reads (its columns: "
                        + "\(columns.joined(separator: ", ")))")
        }
    }

    /// The values of `wanted` in the row of `file` (by relative path, file name, stem or file stem).
    func values(for file: TilePair, columns wanted: [String], input: String) throws(PipelineError) -> [Float] {
        try checkColumns(wanted, input: input)
        let name = fileName(of: file.image)
        let keys = [file.relativePath, name, file.stem, (name as NSString).deletingPathExtension]
        guard let row = keys.lazy.compactMap({ self.rows[$0] }).first else {
            throw .data("\(path) has no row for tile \(file.image) (looked up as '\(file.stem)' and '\(name)'); the model card's "
                        + "input '\(input)' needs one row per tile")
        }
        return try wanted.map { (column: String) throws(PipelineError) -> Float in
            let text = row.fields[columns.firstIndex(of: column)!].trimmingCharacters(in: .whitespaces)
            guard let value = Float(text), value.isFinite else {
                throw .data("\(path) line \(row.line): column '\(column)' holds '\(text)', not a finite number (tile \(file.image))")
            }
            return value
        }
    }
}

