import Foundation

/// The scratch folder of one harness process: the parsers under test read files by path, so
/// each input is written to a fixed file name here (in `/dev/shm` when there is one, so no disk
/// is touched) and read back through the same public API the commands use.
public enum FuzzScratch {
    public static let folder: URL = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let url = URL(fileURLWithPath: base).appendingPathComponent("geolens-fuzz-\(getpid())", isDirectory: true)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// Writes `bytes` to `name` in the scratch folder and returns its URL.
    public static func file(_ name: String, _ bytes: UnsafeRawBufferPointer) -> URL {
        let url = folder.appendingPathComponent(name)
        let written = FileManager.default.createFile(atPath: url.path, contents: Data(bytes))
        precondition(written, "cannot write the fuzz input \(url.path)")
        return url
    }

    /// The input bytes as a buffer (libFuzzer passes a null pointer for the empty input).
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> UnsafeRawBufferPointer {
        guard let data, size > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: data, count: size)
    }
}
