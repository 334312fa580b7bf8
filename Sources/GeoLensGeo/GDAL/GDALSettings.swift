internal import CGDAL
import Foundation

/// Process-wide GDAL settings that affect memory use.
public enum GDALSettings {
    /// The block cache GeoLens sets when the environment does not set `GDAL_CACHEMAX`: 64 MiB,
    /// two rows of 256-pixel blocks of a 6-band 10980-pixel-wide UInt16 scene with room for the
    /// outputs being written. (16 MiB lowered the peak on a 1200-row crop of such a scene but
    /// raised it to 573 MB on the whole scene; see docs/benchmarks.md.) Scenes stored in strips
    /// get more when they need it (`reserveBlockCache`).
    public static let defaultBlockCacheBytes = 64 << 20

    /// Whether `GDAL_CACHEMAX` was set in the environment (GeoLens then never changes the cache).
    static let environmentSetsCache: Bool = ProcessInfo.processInfo.environment["GDAL_CACHEMAX"] != nil

    /// The block cache for streaming `raster` in windows of `windowRows` rows: the default, or,
    /// for a raster stored in strips (blocks as wide as the raster), room for every strip one row
    /// of windows reads plus 8 MiB for the outputs being written; without that every window of a
    /// row would decompress the same strips again. Does nothing when `GDAL_CACHEMAX` is set.
    public static func reserveBlockCache(forStreaming raster: Raster, windowRows: Int) {
        guard !environmentSetsCache else { return }
        blockCacheBytes = blockCacheBytes(forStreaming: raster.bands, width: raster.width, windowRows: windowRows)
    }

    /// `reserveBlockCache`'s size for bands of a raster `width` pixels wide.
    public static func blockCacheBytes(forStreaming bands: [RasterBandInfo], width: Int, windowRows: Int) -> Int {
        let striped = bands.contains { $0.blockWidth >= width }
        guard striped else { return defaultBlockCacheBytes }
        let blockRows = bands.map(\.blockHeight).max() ?? 1
        let bytesPerPixel = bands.reduce(0) { $0 + ($1.dataType?.byteSize ?? 8) }
        let needed = (windowRows + blockRows) * width * bytesPerPixel + (8 << 20)
        return Swift.max(defaultBlockCacheBytes, needed)
    }

    /// GDAL's raster block cache limit in bytes (`GDAL_CACHEMAX`). GDAL's default is 5% of the
    /// machine's memory; streaming a large scene touches each block about once, so a small cache
    /// keeps peak memory near the window working set. GeoLens sets `defaultBlockCacheBytes`
    /// unless `GDAL_CACHEMAX` is set in the environment, and `predict` reserves what each scene
    /// needs (`reserveBlockCache`).
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
