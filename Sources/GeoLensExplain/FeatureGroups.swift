import Foundation

/// One SHAP feature: a set of input channels, optionally restricted to a rectangular cell of pixels.
public struct AttributionFeature: Sendable, Equatable {
    public let name: String
    /// 0-based model input channels.
    public let channels: [Int]
    /// The pixels the feature covers (whole tile when nil): x, y, width, height.
    public let cell: (x: Int, y: Int, width: Int, height: Int)?

    public init(name: String, channels: [Int], cell: (x: Int, y: Int, width: Int, height: Int)? = nil) {
        self.name = name
        self.channels = channels
        self.cell = cell
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.name == b.name && a.channels == b.channels && a.cell?.x == b.cell?.x && a.cell?.y == b.cell?.y
            && a.cell?.width == b.cell?.width && a.cell?.height == b.cell?.height
    }
}

/// Parsing and building of feature sets: band groups, optionally crossed with a grid of cells.
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
}
