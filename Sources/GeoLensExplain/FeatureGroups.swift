import Foundation

/// One SHAP feature: a set of input channels, optionally restricted to a spatial cell (a
/// rectangle of a grid, or a superpixel given as row spans).
public struct AttributionFeature: Sendable, Equatable {
    public let name: String
    /// 0-based model input channels.
    public let channels: [Int]
    /// The grid cell the feature covers, when it is a rectangle: x, y, width, height.
    public let cell: (x: Int, y: Int, width: Int, height: Int)?
    /// The pixels the feature covers as row spans (whole tile when nil).
    public let spans: [PixelSpan]?

    /// A feature over the whole tile, or over the rectangle `cell`.
    public init(name: String, channels: [Int], cell: (x: Int, y: Int, width: Int, height: Int)? = nil) {
        self.name = name
        self.channels = channels
        self.cell = cell
        self.spans = cell.map { cell in
            (cell.y..<cell.y + cell.height).map { PixelSpan(row: $0, columns: cell.x..<cell.x + cell.width) }
        }
    }

    /// A feature over an arbitrary set of pixels (a superpixel).
    public init(name: String, channels: [Int], spans: [PixelSpan]) {
        self.name = name
        self.channels = channels
        self.cell = nil
        self.spans = spans
    }

    /// Calls `body` with the row-major index range of every run of pixels the feature covers.
    public func forEachRun(height: Int, width: Int, _ body: (Range<Int>) -> Void) {
        guard let spans else { return body(0..<height * width) }
        for span in spans {
            let start = span.row * width
            body(start + span.columns.lowerBound..<start + span.columns.upperBound)
        }
    }

    /// Number of pixels covered on a `height` x `width` tile.
    public func pixelCount(height: Int, width: Int) -> Int {
        spans.map { $0.reduce(0) { $0 + $1.columns.count } } ?? height * width
    }

    /// The same feature without the pixels where `validity` (row-major `height` x `width`) is
    /// false; the feature itself when every covered pixel is valid.
    public func restricted(to validity: [Bool], height: Int, width: Int) -> AttributionFeature {
        precondition(validity.count == height * width, "AttributionFeature: \(validity.count) validity flags for \(height)x\(width)")
        var kept: [PixelSpan] = []
        var dropped = false
        forEachRun(height: height, width: width) { run in
            var start: Int?
            for i in run {
                if validity[i] {
                    if start == nil { start = i }
                } else {
                    dropped = true
                    if let s = start { kept += Self.spans(s..<i, width: width); start = nil }
                }
            }
            if let s = start { kept += Self.spans(s..<run.upperBound, width: width) }
        }
        guard dropped else { return self }
        return AttributionFeature(name: name, channels: channels, cell: cell, spans: kept)
    }

    /// A row-major index range split at row ends into spans.
    private static func spans(_ range: Range<Int>, width: Int) -> [PixelSpan] {
        var result: [PixelSpan] = []
        var i = range.lowerBound
        while i < range.upperBound {
            let row = i / width, end = min(range.upperBound, (row + 1) * width)
            result.append(PixelSpan(row: row, columns: i - row * width..<end - row * width))
            i = end
        }
        return result
    }

    private init(name: String, channels: [Int], cell: (x: Int, y: Int, width: Int, height: Int)?, spans: [PixelSpan]) {
        self.name = name
        self.channels = channels
        self.cell = cell
        self.spans = spans
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.name == b.name && a.channels == b.channels && a.spans == b.spans
    }
}

/// Parsing and building of feature sets: band groups, optionally crossed with spatial cells
/// (a regular grid or superpixels).
public enum FeatureGroups {
    /// One feature per channel, named `band1`, `band2`, ... (1-based, as on the command line).
    public static func perChannel(_ channels: Int) -> [AttributionFeature] {
        (0..<channels).map { AttributionFeature(name: "band\($0 + 1)", channels: [$0]) }
    }

    /// Parses `vis=1,2,3;nir=4;swir=5,6` (1-based model input channels). Every channel may be
    /// in at most one group; channels left out stay at the input value in every coalition.
    public static func parse(_ text: String, channels: Int) throws(ExplainError) -> [AttributionFeature] {
        var groups: [AttributionFeature] = []
        var seen = Set<Int>()
        for item in text.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ExplainError("band group '\(item)' must look like name=1,2,3 (groups separated by ';')")
            }
            var members: [Int] = []
            for token in parts[1].split(separator: ",") {
                guard let band = Int(token.trimmingCharacters(in: .whitespaces)), (1...channels).contains(band) else {
                    throw ExplainError("band group '\(parts[0])': '\(token)' is not a band between 1 and \(channels)")
                }
                guard seen.insert(band).inserted else {
                    throw ExplainError("band \(band) appears in more than one group of '\(text)'; put each band in one group")
                }
                members.append(band - 1)
            }
            guard !members.isEmpty else { throw ExplainError("band group '\(parts[0])' has no bands") }
            groups.append(AttributionFeature(name: parts[0], channels: members))
        }
        guard !groups.isEmpty else { throw ExplainError("--groups '\(text)' defines no group; example: vis=1,2,3;nir=4") }
        return groups
    }

    /// Crosses each group with a `rows` x `columns` grid of cells over a `height` x `width` tile
    /// (names `group@r,c`).
    public static func crossed(_ groups: [AttributionFeature], gridRows rows: Int, columns: Int,
                               height: Int, width: Int) -> [AttributionFeature] {
        var features: [AttributionFeature] = []
        for group in groups {
            for r in 0..<rows {
                for c in 0..<columns {
                    let y0 = r * height / rows, y1 = (r + 1) * height / rows
                    let x0 = c * width / columns, x1 = (c + 1) * width / columns
                    features.append(AttributionFeature(name: "\(group.name)@\(r),\(c)", channels: group.channels,
                                                       cell: (x0, y0, x1 - x0, y1 - y0)))
                }
            }
        }
        return features
    }

    /// Crosses each group with every segment of `segmentation` (names `group@sK`, K the label in
    /// the segment raster). Pixels outside every segment (nodata) belong to no feature, so they
    /// keep the input value in every coalition.
    public static func crossed(_ groups: [AttributionFeature], segments segmentation: SuperpixelSegmentation) -> [AttributionFeature] {
        let spans = segmentation.spans()
        return groups.flatMap { group in
            spans.enumerated().map { index, segment in
                AttributionFeature(name: "\(group.name)@s\(index + 1)", channels: group.channels, spans: segment)
            }
        }
    }
}
