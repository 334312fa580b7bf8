internal import CGDAL

extension CRSInfo {
    /// Metres per unit of a projected CRS's coordinates (1 for UTM, 0.3048 for feet); nil for
    /// geographic CRSs, whose degrees have no fixed length.
    public var metresPerUnit: Double? {
        guard let reference = SpatialReference(wkt: wkt), OSRIsProjected(reference.handle) != 0 else { return nil }
        let metres = OSRGetLinearUnits(reference.handle, nil)
        CPLErrorReset()
        return metres.isFinite && metres > 0 ? metres : nil
    }
}

extension Georeference {
    /// The ground width of one pixel in metres (along a row, rotation included), for scale bars;
    /// nil without a geotransform, without a CRS, or in a geographic CRS.
    public var metresPerPixel: Double? {
        guard let geoTransform, let unit = crs?.metresPerUnit else { return nil }
        let c = geoTransform.coefficients
        let width = (c[1] * c[1] + c[4] * c[4]).squareRoot() * unit
        return width.isFinite && width > 0 ? width : nil
    }
}
