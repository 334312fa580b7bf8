/// A raster's facts as plain values, for `geolens inspect` (text or JSON) and run records.
public struct RasterFacts: Codable, Hashable, Sendable {
    public struct Band: Codable, Hashable, Sendable {
        public let index: Int
        public let type: String
        public let nodata: Double?
        public let block: [Int]
        public let mask: String
        public let description: String
        public let colorInterpretation: String
        public let scale: Double
        public let offset: Double

        enum CodingKeys: String, CodingKey {
            case index, type, nodata, block, mask, description, scale, offset
            case colorInterpretation = "color_interpretation"
        }
    }

    public struct CRS: Codable, Hashable, Sendable {
        public let epsg: Int?
        public let name: String?
        public let wkt: String
    }

    public let path: String
    public let driver: String
    public let width: Int
    public let height: Int
    public let bandCount: Int
    public let geoTransform: [Double]?
    public let crs: CRS?
    public let bands: [Band]
    /// GDAL's `LAYOUT` (`COG` for Cloud-Optimized GeoTIFFs), nil otherwise.
    public let layout: String?
    /// Overview sizes `[width, height]`, largest first.
    public let overviews: [[Int]]

    enum CodingKeys: String, CodingKey {
        case path, driver, width, height, bandCount = "band_count", geoTransform = "geotransform", crs, bands
        case layout, overviews
    }

    public init(_ raster: Raster) {
        path = raster.path
        driver = raster.driver
        width = raster.width
        height = raster.height
        bandCount = raster.bandCount
        geoTransform = raster.geoTransform?.coefficients
        crs = raster.crs.map { CRS(epsg: $0.epsg, name: $0.name, wkt: $0.wkt) }
        bands = raster.bands.map {
            Band(index: $0.index, type: $0.typeName, nodata: $0.nodata,
                 block: [$0.blockWidth, $0.blockHeight], mask: $0.maskKind.rawValue,
                 description: $0.bandDescription, colorInterpretation: $0.colorInterpretation,
                 scale: $0.scale, offset: $0.offset)
        }
        let structure = raster.layout()
        layout = structure.layout
        overviews = structure.overviews
    }

    /// Human-readable lines, one fact per line (what `geolens inspect RASTER` prints).
    public var textLines: [String] {
        var lines = ["raster: \(path)", "driver: \(driver)", "size: \(width) x \(height) pixels, \(bandCount) bands"]
        if let geoTransform {
            lines.append("geotransform: [" + geoTransform.map { String($0) }.joined(separator: ", ") + "]")
            lines.append("pixel size: \(geoTransform[1]) x \(abs(geoTransform[5]))")
        } else {
            lines.append("geotransform: none")
        }
        if let crs {
            lines.append("crs: " + (crs.epsg.map { "EPSG:\($0)" } ?? "no EPSG code") + (crs.name.map { " (\($0))" } ?? ""))
        } else {
            lines.append("crs: none")
        }
        if let layout { lines.append("layout: \(layout)") }
        if !overviews.isEmpty { lines.append("overviews: " + overviews.map { "\($0[0]) x \($0[1])" }.joined(separator: ", ")) }
        for band in bands {
            var line = "band \(band.index): \(band.type), block \(band.block[0]) x \(band.block[1])"
            line += ", nodata " + (band.nodata.map { String($0) } ?? "none")
            line += ", mask \(band.mask)"
            if band.scale != 1 || band.offset != 0 { line += ", scale \(band.scale), offset \(band.offset)" }
            if !band.description.isEmpty { line += ", \"\(band.description)\"" }
            if band.colorInterpretation != "Undefined" { line += ", \(band.colorInterpretation)" }
            lines.append(line)
        }
        return lines
    }
}
