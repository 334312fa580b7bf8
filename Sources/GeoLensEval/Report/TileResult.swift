/// One row of `per_tile.csv`: the METRICS.md definitions applied to one tile's own tally.
public struct TileResult: Sendable, Equatable {
    public var tile: String
    /// Scored pixels of the tile.
    public var pixels: Int64
    /// Excluded pixels of the tile (ignore_index, out-of-range labels, nodata, non-finite output).
    public var ignored: Int64
    public var accuracy: Double?
    public var miou: Double?
    public var meanEntropy: Double?
    /// IoU per class, in class order (nil where tp + fp + fn = 0 on this tile).
    public var iou: [Double?]

    /// The row of tile `id` with tally `tally`.
    public init(tile id: String, tally: TileTally) {
        let metrics = SegmentationMetrics(tally.confusion)
        tile = id
        pixels = tally.pixels
        ignored = tally.ignoredPixels
        accuracy = metrics.overallAccuracy
        miou = metrics.miou
        meanEntropy = tally.meanEntropy
        iou = metrics.perClass.map(\.iou)
    }
}

extension EvaluationState {
    /// One row per tile, in sorted tile-id order.
    public var tileResults: [TileResult] {
        sortedTileIDs.map { TileResult(tile: $0, tally: tiles[$0]!) }
    }
}

/// The CSV outputs of an evaluation. Empty fields stand for 0/0 (`null` in JSON); numbers use
/// Swift's shortest round-trip form; fields holding a comma, quote or newline are quoted.
public enum EvaluationCSV {
    /// `per_tile.csv`: `tile,pixels,ignored,accuracy,miou,mean_entropy,iou_<class>...`.
    public static func perTile(_ rows: [TileResult], classes: [String]) -> String {
        var lines = [(["tile", "pixels", "ignored", "accuracy", "miou", "mean_entropy"] + classes.map { "iou_" + $0 })
            .map(field).joined(separator: ",")]
        for row in rows {
            precondition(row.iou.count == classes.count,
                         "EvaluationCSV.perTile: tile \(row.tile) has \(row.iou.count) IoU values for \(classes.count) classes")
            let values = [field(row.tile), String(row.pixels), String(row.ignored),
                          number(row.accuracy), number(row.miou), number(row.meanEntropy)] + row.iou.map(number)
            lines.append(values.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `confusion.csv`: a header row of predicted class names, then one row per reference class
    /// starting with its name. The corner cell reads `reference\predicted`.
    public static func confusion(_ matrix: ConfusionMatrix, classes: [String]) -> String {
        precondition(matrix.classCount == classes.count,
                     "EvaluationCSV.confusion: \(matrix.classCount) x \(matrix.classCount) matrix for \(classes.count) class names")
        var lines = [(["reference\\predicted"] + classes).map(field).joined(separator: ",")]
        for (r, row) in matrix.rows.enumerated() {
            lines.append(([field(classes[r])] + row.map { String($0) }).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A value or an empty field for nil.
    static func number(_ value: Double?) -> String {
        value.map { "\($0)" } ?? ""
    }

    /// A text field, quoted (RFC 4180) when it holds a comma, quote or line break.
    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
