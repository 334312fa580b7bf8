import Foundation

extension TileDataset {
    /// Tiles laid out one folder per class (`images/<class>/*.tif`), for tile classification.
    ///
    /// `images` is the folder that holds the class folders, or a glob or list file whose
    /// rasters sit in class folders; the class of a tile is the name of the folder that holds
    /// it (`classFolder(of:)`). Relative paths keep the class folder (`cloudy/t_001.tif`), so
    /// tile ids stay unique; two tiles with the same file stem in different class folders are
    /// an error, because outputs are named by stem.
    public init(classFolders images: String, rule: PairingRule = .sameName) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: images, isDirectory: &isDirectory), isDirectory.boolValue else {
            let (root, paths) = try Self.listImages(images, rule: rule)
            try self.init(root: root, imagePaths: paths, labels: nil, rule: rule)
            return
        }
        let root = Self.standardized(images)
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: images)
        } catch {
            throw GeoError(.fileNotFound, "cannot list directory \(images): \(error.localizedDescription)")
        }
        var paths: [String] = []
        for name in entries.sorted() where !name.hasPrefix(".") {
            let folder = root + "/" + name
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                if rule.isRaster(name) {
                    throw GeoError(.mismatch, "\(folder) lies directly in \(images), outside any class folder; "
                                   + "with class folders every tile sits in images/<class>/")
                }
                continue
            }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            paths += names.filter { rule.isRaster($0) && !$0.hasPrefix(".") }.sorted().map { folder + "/" + $0 }
        }
        guard !paths.isEmpty else {
            throw GeoError(.missingPair, "\(images) holds no class folders with rasters (expected \(images)/<class>/*.tif)")
        }
        try self.init(root: root, imagePaths: paths, labels: nil, rule: rule)
    }

    /// The class folder of a tile: the name of the folder holding its image.
    public static func classFolder(of pair: TilePair) -> String {
        ((pair.image as NSString).deletingLastPathComponent as NSString).lastPathComponent
    }
}
