/// A run of pixels on one row: the columns `columns` of row `row`.
public struct PixelSpan: Sendable, Equatable {
    public let row: Int
    public let columns: Range<Int>

    public init(row: Int, columns: Range<Int>) {
        self.row = row
        self.columns = columns
    }
}

/// A label map that splits the valid pixels of a tile into segments (superpixels).
///
/// Labels are 1...`count`, numbered in raster order of each segment's first pixel; 0 marks
/// pixels outside every segment (nodata). Every segment is 4-connected.
public struct SuperpixelSegmentation: Sendable, Equatable {
    public let height: Int
    public let width: Int
    /// Row-major labels, `height * width`.
    public let labels: [Int32]
    /// Number of segments.
    public let count: Int

    public init(height: Int, width: Int, labels: [Int32]) {
        precondition(labels.count == height * width,
                     "SuperpixelSegmentation: \(labels.count) labels for a \(height)x\(width) tile")
        self.height = height
        self.width = width
        self.labels = labels
        self.count = Int(labels.max() ?? 0)
    }

    /// The pixels of every segment as row spans: element k - 1 holds segment k's spans, rows in
    /// increasing order and spans left to right.
    public func spans() -> [[PixelSpan]] {
        var result = [[PixelSpan]](repeating: [], count: count)
        labels.withUnsafeBufferPointer { l in
            for row in 0..<height {
                var column = 0
                while column < width {
                    let label = l[row * width + column]
                    var end = column + 1
                    while end < width && l[row * width + end] == label { end += 1 }
                    if label > 0 { result[Int(label) - 1].append(PixelSpan(row: row, columns: column..<end)) }
                    column = end
                }
            }
        }
        return result
    }

    /// Pixels per segment (element k - 1 for segment k).
    public var sizes: [Int] {
        var sizes = [Int](repeating: 0, count: count)
        for label in labels where label > 0 { sizes[Int(label) - 1] += 1 }
        return sizes
    }

    /// Whether each pixel lies on a segment boundary: its right or lower neighbour has another label.
    public var boundaries: [Bool] {
        var result = [Bool](repeating: false, count: labels.count)
        for row in 0..<height {
            for column in 0..<width {
                let i = row * width + column
                if (column + 1 < width && labels[i + 1] != labels[i]) || (row + 1 < height && labels[i + width] != labels[i]) {
                    result[i] = true
                }
            }
        }
        return result
    }
}
