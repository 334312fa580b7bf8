/// The one error type of raster IO: what went wrong, with which file(s), and GDAL's own words.
///
/// `description` is a single line meant to follow `error: ` on stderr, e.g.
/// `cannot open raster /data/a.tif: GDAL: '/data/a.tif' not recognized as a supported file format`.
public struct GeoError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is; extensible, compare against the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The path does not exist.
        public static let fileNotFound = Code("fileNotFound")
        /// GDAL could not open the file as a raster (not a raster, corrupt, truncated header).
        public static let notARaster = Code("notARaster")
        /// GDAL failed while reading pixels (e.g. a truncated GeoTIFF).
        public static let readFailed = Code("readFailed")
        /// GDAL failed while creating or writing a raster.
        public static let writeFailed = Code("writeFailed")
        /// A requested band index is not in `1...bandCount`.
        public static let bandOutOfRange = Code("bandOutOfRange")
        /// A requested window is not inside the raster.
        public static let windowOutOfRange = Code("windowOutOfRange")
        /// The raster's pixel type cannot be used (complex types; float labels with fractions).
        public static let unsupportedDataType = Code("unsupportedDataType")
        /// An image and its label (or two rasters that must align) disagree in size, geotransform or CRS.
        public static let mismatch = Code("mismatch")
        /// An image has no label beside it, or a directory/glob matched nothing.
        public static let missingPair = Code("missingPair")
        /// A shard specification or other argument is malformed.
        public static let invalidArgument = Code("invalidArgument")
    }

    public let code: Code
    /// The whole one-line message, naming the file(s) and saying what to do when that helps.
    public let message: String
    /// GDAL's own message (`CPLGetLastErrorMsg`) when GDAL reported the failure.
    public let gdalMessage: String?

    public init(_ code: Code, _ message: String, gdalMessage: String? = nil) {
        self.code = code
        self.message = message
        let trimmed = gdalMessage?.trimmingWhitespace
        self.gdalMessage = (trimmed?.isEmpty ?? true) ? nil : trimmed
    }

    public var description: String {
        guard let gdalMessage else { return message }
        return "\(message): GDAL: \(gdalMessage.replacingNewlines)"
    }
}

extension String {
    var trimmingWhitespace: String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }

    var replacingNewlines: String {
        String(map { $0.isNewline ? " " : $0 })
    }
}
