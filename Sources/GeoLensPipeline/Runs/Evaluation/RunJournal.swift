import Foundation
import GeoLensEval

/// The per-tile log that makes an interrupted `eval` resumable.
///
/// The first line holds a fingerprint of everything that determines the numbers (checkpoint
/// digest, model card, tile set, shard, settings); each further line holds one scored tile's
/// record (`TileTally` for segmentation, `TileScores` for tile tasks, under the key `tally`) or,
/// with `on_error: skip`, the reason it failed. A restart with the same arguments replays the
/// records and scores only the rest, so the final numbers equal an uninterrupted run's; a restart
/// with different arguments into the same directory is refused. A line cut short by a kill is
/// ignored.
struct RunJournal<Record: Codable> {
    static var fileName: String { "journal.jsonl" }

    struct Header: Codable, Equatable {
        let fingerprint: String
        /// The shard the run was started as (`I/N`), for a refusal that says how to resume it.
        var shard: String?
    }
    /// One finished tile: its tally, or (with `on_error: skip`) the reason it failed.
    struct Entry: Codable {
        let tile: String
        var tally: Record?
        var error: String?
    }

    /// What the journal already holds.
    struct Recorded {
        var tallies: [String: Record] = [:]
        var failures: [String: String] = [:]
        var count: Int { tallies.count + failures.count }
        func contains(_ tile: String) -> Bool { tallies[tile] != nil || failures[tile] != nil }
    }

    let url: URL
    private let handle: FileHandle

    /// Opens (or starts) the journal in `directory`; returns it with the tallies already recorded.
    static func open(in directory: URL, fingerprint: String, shard: String) throws -> (RunJournal, Recorded) {
        let url = directory.appendingPathComponent(fileName)
        var recorded = Recorded()
        let decoder = JSONDecoder()
        if let data = FileManager.default.contents(atPath: url.path), !data.isEmpty {
            let lines = data.split(separator: UInt8(ascii: "\n"))
            guard let first = lines.first, let header = try? decoder.decode(Header.self, from: Data(first)) else {
                throw PipelineError.data("\(url.path) is not a GeoLens journal; remove it or choose another --out")
            }
            guard header.fingerprint == fingerprint else {
                if let started = header.shard, started != shard {
                    throw PipelineError.usage("\(directory.path) holds shard \(started) of an evaluation run, but this run is shard "
                                              + "\(shard); resume it with --shard \(started) (or set GEOLENS_SHARD_COUNT for a "
                                              + "resubmitted array task), or use another --out")
                }
                throw PipelineError.usage("\(directory.path) holds an evaluation run with different arguments "
                                    + "(checkpoint, model card, tiles or settings); use another --out or delete \(url.lastPathComponent) to start over")
            }
            for line in lines.dropFirst() {
                guard let entry = try? decoder.decode(Entry.self, from: Data(line)) else { continue }
                if let tally = entry.tally {
                    recorded.tallies[entry.tile] = tally
                } else if let error = entry.error {
                    recorded.failures[entry.tile] = error
                }
            }
            // Rewrite without a possibly cut last line, atomically.
            var clean = try JSONEncoder().encode(header) + Data("\n".utf8)
            for (tile, tally) in recorded.tallies.sorted(by: { $0.key < $1.key }) {
                clean += try JSONEncoder().encode(Entry(tile: tile, tally: tally)) + Data("\n".utf8)
            }
            for (tile, error) in recorded.failures.sorted(by: { $0.key < $1.key }) {
                clean += try JSONEncoder().encode(Entry(tile: tile, error: error)) + Data("\n".utf8)
            }
            try AtomicFile.write(clean, to: url)
        } else {
            try AtomicFile.write(try JSONEncoder().encode(Header(fingerprint: fingerprint, shard: shard)) + Data("\n".utf8), to: url)
        }
        guard let handle = FileHandle(forWritingAtPath: url.path) else {
            throw PipelineError.data("cannot append to \(url.path)")
        }
        handle.seekToEndOfFile()
        return (RunJournal(url: url, handle: handle), recorded)
    }

    /// Appends scored tiles and flushes them to disk.
    func record(_ tallies: [(String, Record)]) throws {
        var data = Data()
        for (tile, tally) in tallies { data += try JSONEncoder().encode(Entry(tile: tile, tally: tally)) + Data("\n".utf8) }
        handle.write(data)
        try handle.synchronize()
    }

    /// Appends a tile that failed (`on_error: skip`) and flushes it to disk.
    func recordFailure(_ tile: String, error: String) throws {
        handle.write(try JSONEncoder().encode(Entry(tile: tile, error: error)) + Data("\n".utf8))
        try handle.synchronize()
    }

    func close() { try? handle.close() }
}
