/// One model window of a scene: the pixels read from the raster, and the square tile they are
/// reflect-padded to when the raster is smaller than a tile.
public struct SceneWindow: Hashable, Sendable {
    /// The raster pixels this window covers (inside the raster).
    public let window: RasterWindow
    /// The model tile side; `window` is padded right/bottom up to it when smaller.
    public let tileSize: Int
    /// Which sides lie on the scene border (no neighbour overlaps there, so no taper).
    public let touchesLeft: Bool, touchesTop: Bool, touchesRight: Bool, touchesBottom: Bool
}

/// Cuts a scene into model windows: `tileSize` squares overlapping by `overlap`, the last
/// window of each row and column shifted back so it ends flush with the border, and rasters
/// smaller than a tile covered by one window that is reflect-padded.
public struct SceneTiler: Sendable {
    public let width: Int
    public let height: Int
    public let tileSize: Int
    public let overlap: Int
    /// Left edges of the window columns.
    public let columnStarts: [Int]
    /// Top edges of the window rows.
    public let rowStarts: [Int]

    public init(width: Int, height: Int, tileSize: Int, overlap: Int) {
        precondition(width > 0 && height > 0, "SceneTiler: empty scene \(width) x \(height)")
        precondition(tileSize > 0 && overlap >= 0 && overlap < tileSize,
                     "SceneTiler: overlap \(overlap) must be in 0..<tileSize (\(tileSize))")
        self.width = width
        self.height = height
        self.tileSize = tileSize
        self.overlap = overlap
        self.columnStarts = Self.starts(length: width, tile: tileSize, overlap: overlap)
        self.rowStarts = Self.starts(length: height, tile: tileSize, overlap: overlap)
    }

    /// Window starts along one axis: steps of `tile - overlap`, the last one flush with the end.
    public static func starts(length: Int, tile: Int, overlap: Int) -> [Int] {
        guard length > tile else { return [0] }
        let stride = tile - overlap
        var starts: [Int] = []
        var position = 0
        while position + tile < length {
            starts.append(position)
            position += stride
        }
        starts.append(length - tile)
        return starts
    }

    /// Number of window rows.
    public var rowCount: Int { rowStarts.count }

    /// Total number of windows.
    public var windowCount: Int { rowStarts.count * columnStarts.count }

    /// The windows of window row `row`, left to right.
    public func windows(inRow row: Int) -> [SceneWindow] {
        let y = rowStarts[row]
        let h = min(tileSize, height)
        return columnStarts.enumerated().map { column, x in
            SceneWindow(window: RasterWindow(x: x, y: y, width: min(tileSize, width), height: h),
                        tileSize: tileSize,
                        touchesLeft: column == 0, touchesTop: row == 0,
                        touchesRight: column == columnStarts.count - 1, touchesBottom: row == rowStarts.count - 1)
        }
    }

    /// The first scene row that later window rows can still change once window row `row` is stitched;
    /// every row above it is final.
    public func finishedRows(afterWindowRow row: Int) -> Int {
        row + 1 < rowStarts.count ? rowStarts[row + 1] : height
    }
}
