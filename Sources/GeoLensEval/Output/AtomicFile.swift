public import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes output files so that readers never see a half-written file: the bytes go to a
/// temporary file in the same directory (same file system), are flushed, and the temporary
/// file is renamed over the destination, which POSIX `rename` does atomically.
public enum AtomicFile {
    /// Writes `data` to `url` atomically, creating the parent directory if needed.
    ///
    /// - Throws: `EvaluationError.writeFailed` naming the file and the system's reason.
    public static func write(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UUID().uuidString).tmp")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            // open(2) directly: FileManager.createFile writes through a second hidden temporary
            // file (`.dat.nosync...`) of its own, which a killed process would leave behind.
            let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else {
                let reason = String(cString: strerror(errno))
                throw EvaluationError(.writeFailed, "cannot create \(temporary.path): \(reason); check that \(directory.path) is writable")
            }
            let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
            defer { try? handle.close() }
            try handle.write(contentsOf: data)
            try handle.synchronize()
        } catch let error as EvaluationError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw EvaluationError(.writeFailed, "cannot write \(url.path): \(error.localizedDescription); check free space and permissions")
        }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw EvaluationError(.writeFailed, "cannot move the finished \(url.lastPathComponent) into place at \(url.path): \(reason)")
        }
    }

    /// Writes `text` as UTF-8 to `url` atomically.
    public static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }
}
