/// How an image file finds its label file: both lose their extension and their suffix
/// (e.g. `scene_012_img.tif` and `scene_012_mask.tif` both become `scene_012`), and files with
/// the same remaining stem are paired.
public struct PairingRule: Hashable, Sendable {
    /// Suffix removed from image stems, e.g. `_img` (empty: none).
    public var imageSuffix: String
    /// Suffix removed from label stems, e.g. `_mask` (empty: none).
    public var labelSuffix: String
    /// File extensions (lower-case, without dot) that count as rasters in a directory.
    public var extensions: Set<String>

    public init(imageSuffix: String = "", labelSuffix: String = "",
                extensions: Set<String> = ["tif", "tiff"]) {
        self.imageSuffix = imageSuffix
        self.labelSuffix = labelSuffix
        self.extensions = extensions
    }

    /// Same stem, no suffixes: `a.tif` pairs with `a.tif` in the label directory.
    public static let sameName = PairingRule()

    /// The pairing key of an image file name.
    public func imageKey(_ fileName: String) -> String { Self.key(fileName, suffix: imageSuffix) }

    /// The pairing key of a label file name.
    public func labelKey(_ fileName: String) -> String { Self.key(fileName, suffix: labelSuffix) }

    /// True when `fileName` has one of the raster extensions.
    public func isRaster(_ fileName: String) -> Bool {
        guard let dot = fileName.lastIndex(of: ".") else { return false }
        return extensions.contains(fileName[fileName.index(after: dot)...].lowercased())
    }

    static func stem(_ fileName: String) -> String {
        guard let dot = fileName.lastIndex(of: "."), dot != fileName.startIndex else { return fileName }
        return String(fileName[..<dot])
    }

    private static func key(_ fileName: String, suffix: String) -> String {
        let stem = stem(fileName)
        if !suffix.isEmpty, stem.hasSuffix(suffix), stem.count > suffix.count {
            return String(stem.dropLast(suffix.count))
        }
        return stem
    }
}
