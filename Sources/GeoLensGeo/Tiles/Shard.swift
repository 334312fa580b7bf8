import Foundation

/// One slice of a dataset for parallel jobs: shard `index` of `count` (0-based), chosen by a
/// stable hash of each tile's path relative to the dataset root, so every job agrees on the split
/// regardless of listing order or machine.
public struct Shard: Hashable, Sendable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1, index >= 0, index < count else {
            throw GeoError(.invalidArgument, "shard \(index)/\(count) is invalid; "
                           + "use I/N with N >= 1 and 0 <= I < N (e.g. 0/4)")
        }
        self.index = index
        self.count = count
    }

    /// The whole dataset.
    public static let all = try! Shard(index: 0, count: 1)

    /// Parses `"I/N"`, e.g. `"2/8"`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2,
              let i = Int(parts[0].trimmingCharacters(in: .whitespaces)),
              let n = Int(parts[1].trimmingCharacters(in: .whitespaces)) else {
            throw GeoError(.invalidArgument, "shard '\(text)' is not of the form I/N (e.g. 0/4)")
        }
        try self.init(index: i, count: n)
    }

    /// The shard of a Slurm array task or of a Kubernetes Indexed Job; nil when neither is set.
    ///
    /// - Slurm: with `GEOLENS_SHARD_COUNT` set, shard `SLURM_ARRAY_TASK_ID` of that count (what a
    ///   resubmitted task `sbatch --array=2` needs); otherwise the job's declared array
    ///   `SLURM_ARRAY_TASK_MIN...SLURM_ARRAY_TASK_MAX` gives the count and `ID - MIN` the index.
    ///   A one-task array whose id is not its minimum's 0 (a resubmitted task) is refused, since
    ///   its count cannot be known: pass `--shard ID/N` or set `GEOLENS_SHARD_COUNT`.
    /// - Kubernetes: `JOB_COMPLETION_INDEX` of `GEOLENS_SHARD_COUNT`.
    public static func fromEnvironment(_ environment: [String: String]) throws -> Shard? {
        if let id = environment["SLURM_ARRAY_TASK_ID"] {
            guard let i = Int(id) else {
                throw GeoError(.invalidArgument, "SLURM_ARRAY_TASK_ID=\(id) is not an integer")
            }
            if let declared = environment["GEOLENS_SHARD_COUNT"] {
                guard let n = Int(declared) else {
                    throw GeoError(.invalidArgument, "GEOLENS_SHARD_COUNT=\(declared) is not an integer")
                }
                return try Shard(index: i, count: n)
            }
            let minimum = environment["SLURM_ARRAY_TASK_MIN"].flatMap { Int($0) } ?? 0
            let maximum = environment["SLURM_ARRAY_TASK_MAX"].flatMap { Int($0) }
            let count = maximum.map { $0 - minimum + 1 } ?? environment["SLURM_ARRAY_TASK_COUNT"].flatMap { Int($0) }
            guard let count else {
                throw GeoError(.invalidArgument, "SLURM_ARRAY_TASK_ID=\(id) is set but neither SLURM_ARRAY_TASK_MAX nor "
                               + "SLURM_ARRAY_TASK_COUNT; pass --shard \(id)/N")
            }
            if count == 1 && i != 0 {
                throw GeoError(.invalidArgument, "SLURM_ARRAY_TASK_ID=\(id) is the only task of its array (a resubmitted task?), "
                               + "so the shard count is unknown; pass --shard \(id)/N or set GEOLENS_SHARD_COUNT=N, "
                               + "with N the tasks of the original array")
            }
            return try Shard(index: i - minimum, count: count)
        }
        if let id = environment["JOB_COMPLETION_INDEX"] {
            guard let count = environment["GEOLENS_SHARD_COUNT"] else {
                throw GeoError(.invalidArgument, "JOB_COMPLETION_INDEX=\(id) is set but GEOLENS_SHARD_COUNT is not; "
                               + "set it to the Job's completions")
            }
            guard let i = Int(id), let n = Int(count) else {
                throw GeoError(.invalidArgument, "JOB_COMPLETION_INDEX=\(id) / GEOLENS_SHARD_COUNT=\(count) are not integers")
            }
            return try Shard(index: i, count: n)
        }
        return nil
    }

    /// True when the tile at `relativePath` belongs to this shard.
    public func contains(relativePath: String) -> Bool {
        count == 1 || Int(Self.fnv1a(relativePath) % UInt64(count)) == index
    }

    /// 64-bit FNV-1a of the UTF-8 bytes: stable across runs, machines and Swift versions
    /// (unlike `Hasher`, which is seeded per process).
    public static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }

    public var description: String { "\(index)/\(count)" }
}
