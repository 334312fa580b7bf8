public import Foundation

/// Directories and paths as every run needs them.
public enum FileSystem {
    /// Creates `url` and its parents, with an error naming the directory.
    public static func createDirectory(_ url: URL) throws(PipelineError) {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw .data("cannot create directory \(url.path): \(error.localizedDescription)")
        }
    }

    /// `path` made absolute against the current directory (globs too) and standardized;
    /// run manifests store paths this way so that a run directory opens from anywhere.
    public static func absolute(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path
            : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
        return (absolute as NSString).standardizingPath
    }

    /// Whether a file or directory exists at `path`.
    public static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
}

/// The version every output records.
public enum GeoLensVersion {
    public static let current = "0.2.0"
}
