public import GeoLensReport

extension ClassPalette {
    /// The palette as a GeoTIFF colour table, so class rasters open in QGIS with the colours the
    /// reports use: one entry per class (index 255, nodata, is made transparent by the writer).
    public var colorTable: [ColorTableEntry] {
        colors.map { ColorTableEntry($0.red, $0.green, $0.blue, $0.alpha) }
    }
}
