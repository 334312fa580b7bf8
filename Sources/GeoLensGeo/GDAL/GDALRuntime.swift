import GeoLensTensor
internal import CGDAL

/// Process-wide GDAL set-up and the bridge from GDAL's error state to `GeoError`.
///
/// GDAL keeps its last error per thread; every wrapper calls `clearError()` before a C
/// call and `lastError(...)` right after a failure, so the message belongs to that call.
/// A quiet error handler is installed once so GDAL never prints to stderr itself.
enum GDALRuntime {
    private static let registered: Bool = {
        GDALAllRegister()
        CPLSetErrorHandler(CPLQuietErrorHandler)
        // GDAL's own default block cache is 5% of the machine's memory (1.2 GB here), which a
        // streamed scene fills block by block: predict on a 10980 x 10980 scene peaked at 1.75 GB.
        if !GDALSettings.environmentSetsCache {
            GDALSetCacheMax64(Int64(GDALSettings.defaultBlockCacheBytes))
        }
        return true
    }()

    /// Registers the drivers and installs the quiet error handler (idempotent, thread-safe).
    static func ensureRegistered() {
        _ = registered
    }

    /// Forgets the calling thread's last GDAL error.
    static func clearError() {
        CPLErrorReset()
    }

    /// GDAL's last message on this thread (then cleared), or nil when there is none.
    static func takeLastMessage() -> String? {
        let message = CPLGetLastErrorMsg().map { String(cString: $0) } ?? ""
        CPLErrorReset()
        return message.isEmpty ? nil : message
    }

    /// A `GeoError` that carries GDAL's own message for the call that just failed.
    static func error(_ code: GeoError.Code, _ message: String) -> GeoError {
        GeoError(code, message, gdalMessage: takeLastMessage())
    }

    /// Throws a `GeoError` when a `CPLErr` result is a failure.
    static func check(_ result: CPLErr, _ code: GeoError.Code, _ message: @autoclosure () -> String) throws {
        if result.rawValue >= CE_Failure.rawValue {
            throw error(code, message())
        }
    }
}

/// A lock that serializes every C call on one GDAL handle: GDAL dataset handles are not
/// thread-safe, so objects that own one are `Sendable` only through this lock.
final class GDALHandleLock: Sendable {
    private let mutex = Locked(())

    func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        try mutex.withLock { _ throws(E) -> R in try body() }
    }
}
