import Foundation

/// The files of one named checkpoint (`last` or `best`) in a run directory, replaced as a unit.
///
/// A checkpoint is several files (weights, model card, optimizer state, metadata) that must
/// describe the same epoch: resuming from the weights of epoch 5 with the optimizer state and
/// history of epoch 4 would silently diverge from an uninterrupted run. Each file is written
/// atomically on its own, and the set is committed in two phases:
///
/// 1. every file is written under a hidden staged name (`.staged-last.safetensors`, ...), the
///    staged metadata last; the staged metadata therefore only exists beside a complete staged set;
/// 2. the staged files are renamed over the live ones, the metadata last.
///
/// A process killed in phase 1 leaves the previous set intact (`recover()` deletes the partial
/// staging); killed in phase 2, it leaves the staged metadata, and `recover()` finishes the
/// renames. Either way the live files form one epoch's checkpoint.
struct CheckpointFileSet {
    let directory: URL
    let name: String

    /// File suffixes, the metadata (the commit marker) last.
    static let suffixes = [".safetensors", ".json", ".item.json", ".optimizer.safetensors", ".meta.json"]
    static let metadataSuffix = ".meta.json"

    /// The live file, e.g. `last.safetensors`.
    func live(_ suffix: String) -> URL { directory.appendingPathComponent(name + suffix) }

    /// The staged file, e.g. `.staged-last.safetensors`.
    func staged(_ suffix: String) -> URL { directory.appendingPathComponent(".staged-" + name + suffix) }

    /// Starts phase 1: removes a staged set left by an earlier write, so that a staged metadata
    /// file always belongs to the files staged with it.
    func beginStaging() throws {
        for suffix in Self.suffixes.reversed() { try remove(staged(suffix)) }
    }

    /// Phase 2: moves the staged files over the live ones, metadata last.
    func commit() throws {
        for suffix in Self.suffixes {
            let source = staged(suffix)
            guard FileManager.default.fileExists(atPath: source.path) else { continue }
            guard rename(source.path, live(suffix).path) == 0 else {
                throw TrainingError.data("cannot move \(source.path) over \(live(suffix).path): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Makes the live files one consistent checkpoint again after an interruption: finishes a
    /// commit whose staged metadata exists, or discards an incomplete staging.
    /// - Returns: true when an interrupted commit was finished.
    @discardableResult
    func recover() throws -> Bool {
        if FileManager.default.fileExists(atPath: staged(Self.metadataSuffix).path) {
            try commit()
            return true
        }
        try beginStaging()
        return false
    }

    /// True when the live metadata exists or a finished staging will become it.
    var isResumable: Bool {
        FileManager.default.fileExists(atPath: live(Self.metadataSuffix).path)
            || FileManager.default.fileExists(atPath: staged(Self.metadataSuffix).path)
    }

    private func remove(_ url: URL) throws {
        guard unlink(url.path) == 0 || errno == ENOENT else {
            throw TrainingError.data("cannot remove \(url.path): \(String(cString: strerror(errno)))")
        }
    }
}
