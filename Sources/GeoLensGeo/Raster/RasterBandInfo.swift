internal import CGDAL

/// Facts about one band of a raster, as GDAL reports them.
public struct RasterBandInfo: Hashable, Sendable {
    /// How GDAL decides which pixels of a band are valid (`GDALGetMaskFlags`).
    public enum MaskKind: String, Hashable, Sendable {
        /// No mask: every pixel is valid.
        case allValid = "all-valid"
        /// Pixels equal to the declared nodata value are invalid.
        case nodata
        /// A mask shared by all bands (internal or `.msk` mask).
        case perDataset = "per-dataset"
        /// An alpha band decides validity.
        case alpha
        /// A mask band of this band alone.
        case perBand = "per-band"
    }

    /// 1-based band index.
    public let index: Int
    /// The pixel type, or nil when GeoLens cannot read it (complex types); see `typeName`.
    public let dataType: RasterDataType?
    /// GDAL's name of the pixel type (always set, also for unsupported types).
    public let typeName: String
    /// The declared nodata value, if any.
    public let nodata: Double?
    /// Natural block size (tile size for tiled files, `width x rows` for striped files).
    public let blockWidth: Int
    public let blockHeight: Int
    /// GDAL's own scale/offset metadata (physical = DN * scale + offset); informative only,
    /// reads apply the model card's `input_scale`/`input_offset` instead.
    public let scale: Double
    public let offset: Double
    /// The band description (often the band name, e.g. `B04`), empty when unset.
    public let bandDescription: String
    /// GDAL's colour interpretation name (`Red`, `Gray`, `Alpha`, `Undefined`, ...).
    public let colorInterpretation: String
    public let maskKind: MaskKind

    init(band: GDALRasterBandH, index: Int) {
        self.index = index
        let type = GDALGetRasterDataType(band)
        self.dataType = RasterDataType(gdal: type)
        self.typeName = GDALGetDataTypeName(type).map { String(cString: $0) } ?? "Unknown"
        var hasNodata: Int32 = 0
        let nodataValue = GDALGetRasterNoDataValue(band, &hasNodata)
        self.nodata = hasNodata != 0 ? nodataValue : nil
        var bw: Int32 = 0, bh: Int32 = 0
        GDALGetBlockSize(band, &bw, &bh)
        self.blockWidth = Int(bw)
        self.blockHeight = Int(bh)
        var hasScale: Int32 = 0, hasOffset: Int32 = 0
        let s = GDALGetRasterScale(band, &hasScale)
        let o = GDALGetRasterOffset(band, &hasOffset)
        self.scale = hasScale != 0 ? s : 1
        self.offset = hasOffset != 0 ? o : 0
        self.bandDescription = GDALGetDescription(band).map { String(cString: $0) } ?? ""
        self.colorInterpretation = GDALGetColorInterpretationName(GDALGetRasterColorInterpretation(band))
            .map { String(cString: $0) } ?? "Undefined"
        let flags = GDALGetMaskFlags(band)
        if flags & GMF_ALL_VALID != 0 { maskKind = .allValid }
        else if flags & GMF_NODATA != 0 { maskKind = .nodata }
        else if flags & GMF_ALPHA != 0 { maskKind = .alpha }
        else if flags & GMF_PER_DATASET != 0 { maskKind = .perDataset }
        else { maskKind = .perBand }
        CPLErrorReset()
    }
}
