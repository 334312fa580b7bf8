internal import CGDAL

/// Process-wide GDAL settings that affect memory use.
public enum GDALSettings {
    /// The block cache GeoLens sets when the environment does not set `GDAL_CACHEMAX`: 64 MiB,
    /// two rows of 256-pixel blocks of a 6-band 10980-pixel-wide UInt16 scene with room for the
    /// outputs being written.
    public static let defaultBlockCacheBytes = 64 << 20

    /// GDAL's raster block cache limit in bytes (`GDAL_CACHEMAX`). GDAL's default is 5% of the
    /// machine's memory; streaming a large scene touches each block about once, so a small cache
    /// keeps peak memory near the window working set. GeoLens sets `defaultBlockCacheBytes`
    /// unless `GDAL_CACHEMAX` is set in the environment.
    public static var blockCacheBytes: Int {
        get {
            GDALRuntime.ensureRegistered()
            return Int(GDALGetCacheMax64())
        }
        set {
            GDALRuntime.ensureRegistered()
            GDALSetCacheMax64(Int64(newValue))
        }
    }

    /// The GDAL library version, e.g. `3.6.2`.
    public static var version: String {
        GDALRuntime.ensureRegistered()
        return GDALVersionInfo("RELEASE_NAME").map { String(cString: $0) } ?? "unknown"
    }
}
