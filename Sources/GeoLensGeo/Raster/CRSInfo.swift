internal import CGDAL

/// A raster's coordinate reference system: its WKT, and the EPSG code and name when GDAL knows them.
public struct CRSInfo: Hashable, Sendable, CustomStringConvertible {
    /// The WKT exactly as the dataset stores it (what writers copy to outputs).
    public let wkt: String
    /// The EPSG code when the CRS carries one or GDAL can identify it.
    public let epsg: Int?
    /// The CRS name, e.g. `WGS 84 / UTM zone 33N`.
    public let name: String?

    /// Parses `wkt` with GDAL to find the EPSG code and name; nil for an empty WKT.
    public init?(wkt: String) {
        guard !wkt.isEmpty else { return nil }
        GDALRuntime.ensureRegistered()
        self.wkt = wkt
        let identity = SpatialReference(wkt: wkt)
        self.epsg = identity?.epsg
        self.name = identity?.name
    }

    /// The CRS of an EPSG code, e.g. 32633 (used by tests and synthetic scenes).
    public init?(epsg code: Int) {
        GDALRuntime.ensureRegistered()
        guard let srs = SpatialReference(epsg: code) else { return nil }
        self.wkt = srs.wkt
        self.epsg = code
        self.name = srs.name
    }

    /// True when both describe the same CRS (GDAL's `OSRIsSame`, so WKT spelling differences do not matter).
    public func isSame(as other: CRSInfo) -> Bool {
        if wkt == other.wkt { return true }
        guard let a = SpatialReference(wkt: wkt), let b = SpatialReference(wkt: other.wkt) else { return false }
        return OSRIsSame(a.handle, b.handle) != 0
    }

    public var description: String {
        if let epsg { return "EPSG:\(epsg)" + (name.map { " (\($0))" } ?? "") }
        return name ?? "custom CRS"
    }
}

/// Owns an `OGRSpatialReferenceH` for the few CRS queries GeoLens needs.
final class SpatialReference {
    let handle: OGRSpatialReferenceH

    init?(wkt: String) {
        guard let h = OSRNewSpatialReference(nil) else { return nil }
        var text: UnsafeMutablePointer<CChar>? = strdup(wkt)
        let start = text
        let status = OSRImportFromWkt(h, &text)
        free(start)
        guard status == OGRERR_NONE else { OSRDestroySpatialReference(h); CPLErrorReset(); return nil }
        handle = h
    }

    init?(epsg: Int) {
        guard let h = OSRNewSpatialReference(nil) else { return nil }
        guard OSRImportFromEPSG(h, Int32(epsg)) == OGRERR_NONE else {
            OSRDestroySpatialReference(h); CPLErrorReset(); return nil
        }
        handle = h
    }

    deinit { OSRDestroySpatialReference(handle) }

    /// The EPSG code of the root CRS, identifying it from its definition when no authority is stored.
    var epsg: Int? {
        if let code = authorityCode { return code }
        guard OSRAutoIdentifyEPSG(handle) == OGRERR_NONE else { CPLErrorReset(); return nil }
        return authorityCode
    }

    private var authorityCode: Int? {
        guard let name = OSRGetAuthorityName(handle, nil), String(cString: name) == "EPSG",
              let code = OSRGetAuthorityCode(handle, nil) else { return nil }
        return Int(String(cString: code))
    }

    var name: String? {
        OSRGetName(handle).map { String(cString: $0) }
    }

    var wkt: String {
        var out: UnsafeMutablePointer<CChar>?
        guard OSRExportToWkt(handle, &out) == OGRERR_NONE, let out else { return "" }
        defer { VSIFree(out) }
        return String(cString: out)
    }
}
