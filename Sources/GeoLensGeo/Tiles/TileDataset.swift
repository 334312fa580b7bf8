import Foundation
import Glibc

/// An image raster and, when labels are given, the label raster paired with it.
public struct TilePair: Hashable, Sendable {
    /// Path of the image raster.
    public let image: String
    /// Path of the label raster, nil for prediction-only datasets.
    public let label: String?
    /// The image path relative to the dataset root: the stable identity used for sharding and ordering.
    public let relativePath: String
    /// The pairing key (file stem without suffix), used to name outputs (`<stem>_pred.tif`).
    public let stem: String
}

/// Tiles found from an image directory or glob, paired with labels by file stem, in a
/// deterministic order (sorted by relative path), with optional sharding.
public struct TileDataset: Sendable {
    /// Directory (or the fixed part of a glob) that relative paths are taken from.
    public let root: String
    /// All pairs, sorted by `relativePath`.
    public let pairs: [TilePair]

    /// Lists `images` (a directory, a glob such as `data/*_img.tif`, or a `.txt`/`.lst` list file
    /// of raster paths) and pairs each image with
    /// the label in `labels` whose key matches under `rule`. Throws `missingPair` when nothing
    /// matches or an image has no label, naming the image and the label file that was expected.
    ///
    /// With `keepUnlabelled`, an image without a label is kept with `label == nil` instead (for
    /// runs that skip such tiles and say why).
    public init(images: String, labels: String? = nil, rule: PairingRule = .sameName, keepUnlabelled: Bool = false) throws {
        let (root, imagePaths) = try Self.listImages(images, rule: rule)
        try self.init(root: root, imagePaths: imagePaths, labels: labels, rule: rule, keepUnlabelled: keepUnlabelled)
    }

    /// Pairs listed image paths (under `root`) with the labels in `labels`, as `init(images:labels:rule:)`.
    init(root: String, imagePaths: [String], labels: String?, rule: PairingRule, keepUnlabelled: Bool = false) throws {
        var labelByKey: [String: String] = [:]
        if let labels {
            for path in try Self.listDirectory(labels, rule: rule) {
                let key = rule.labelKey(fileName(of: path))
                if let other = labelByKey[key] {
                    throw GeoError(.mismatch, "labels \(other) and \(path) both pair with key '\(key)'; "
                                   + "rename one or set the label suffix")
                }
                labelByKey[key] = path
            }
        }
        var pairs: [TilePair] = []
        var seenKeys: [String: String] = [:]
        for path in imagePaths {
            let name = fileName(of: path)
            let key = rule.imageKey(name)
            if let other = seenKeys[key] {
                throw GeoError(.mismatch, "images \(other) and \(path) share the key '\(key)'; their outputs would collide")
            }
            seenKeys[key] = path
            var label: String?
            if let labels {
                if labelByKey[key] == nil && keepUnlabelled {
                    let relative = path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : name
                    pairs.append(TilePair(image: path, label: nil, relativePath: relative, stem: key))
                    continue
                }
                guard let found = labelByKey[key] else {
                    throw GeoError(.missingPair, "image \(path) has no label in \(labels) "
                                   + "(expected \(key)\(rule.labelSuffix).tif); check the suffix rules")
                }
                label = found
            }
            let relative = path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : name
            pairs.append(TilePair(image: path, label: label, relativePath: relative, stem: key))
        }
        self.root = root
        self.pairs = pairs.sorted { $0.relativePath < $1.relativePath }
    }

    /// The pairs of `shard`, in dataset order.
    public func pairs(in shard: Shard) -> [TilePair] {
        pairs.filter { shard.contains(relativePath: $0.relativePath) }
    }

    /// Opens both rasters of `pair` and checks they agree in size, geotransform and CRS.
    public static func checkAlignment(_ pair: TilePair) throws {
        guard let label = pair.label else { return }
        try Raster(path: pair.image).checkAligned(with: Raster(path: label))
    }

    // MARK: Listing

    static func listImages(_ pattern: String, rule: PairingRule) throws -> (String, [String]) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: pattern, isDirectory: &isDirectory), isDirectory.boolValue {
            return (standardized(pattern), try listDirectory(pattern, rule: rule))
        }
        if !isDirectory.boolValue, listExtensions.contains((pattern as NSString).pathExtension.lowercased()),
           FileManager.default.fileExists(atPath: pattern) {
            return try listFile(pattern)
        }
        let matches = glob(pattern).filter { rule.isRaster($0) }
        guard !matches.isEmpty else {
            throw GeoError(.missingPair, "no rasters match \(pattern); give a directory or a glob such as dir/*.tif")
        }
        return (globRoot(pattern), matches.map(standardized))
    }

    /// Extensions of list files: one raster path per line.
    static let listExtensions: Set<String> = ["txt", "lst"]

    /// The rasters named by a list file, one path per line (relative paths are taken from the
    /// list file's folder; blank lines and lines starting with `#` are skipped). The list
    /// file's folder is the root of the relative paths.
    private static func listFile(_ path: String) throws -> (String, [String]) {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw GeoError(.fileNotFound, "cannot read list file \(path): \(error.localizedDescription)")
        }
        let root = standardized((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent)
        var paths: [String] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let full = line.hasPrefix("/") ? line : (root as NSString).appendingPathComponent(line)
            guard FileManager.default.fileExists(atPath: full) else {
                throw GeoError(.fileNotFound, "list file \(path) line \(number + 1) names \(line), which does not exist")
            }
            paths.append(standardized(full))
        }
        guard !paths.isEmpty else { throw GeoError(.missingPair, "list file \(path) names no rasters") }
        return (root, paths.sorted())
    }

    static func listDirectory(_ directory: String, rule: PairingRule) throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw GeoError(.fileNotFound, "cannot list directory \(directory): \(error.localizedDescription)")
        }
        let base = standardized(directory)
        let rasters = names.filter { rule.isRaster($0) && !$0.hasPrefix(".") }.sorted().map { base + "/" + $0 }
        guard !rasters.isEmpty else {
            throw GeoError(.missingPair, "directory \(directory) holds no rasters with extension "
                           + rule.extensions.sorted().joined(separator: "/"))
        }
        return rasters
    }

    static func standardized(_ path: String) -> String {
        var p = (path as NSString).standardizingPath
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return p
    }

    /// The directory part of a glob before its first wildcard component.
    private static func globRoot(_ pattern: String) -> String {
        let components = standardized(pattern).split(separator: "/", omittingEmptySubsequences: false)
        let fixed = components.prefix { !$0.contains(where: { "*?[".contains($0) }) }
        let root = fixed.dropLast(fixed.count == components.count ? 1 : 0).joined(separator: "/")
        return root.isEmpty ? "." : root
    }

    private static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { i in
            result.gl_pathv[i].map { String(cString: $0) }
        }.sorted()
    }
}
