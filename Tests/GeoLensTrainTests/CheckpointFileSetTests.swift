import Foundation
import GeoLensTestSupport
@testable import GeoLensTrain
import Testing

/// A checkpoint's files change together: every state a kill can leave recovers to one epoch's set.
@Suite struct CheckpointFileSetTests {
    static let suffixes = CheckpointFileSet.suffixes

    /// A set whose live files hold "old" and whose staged files hold "new".
    static func prepare(stagedMetadata: Bool) throws -> CheckpointFileSet {
        let dir = try GeoLensCLI.temporaryDirectory("checkpoint-set")
        let files = CheckpointFileSet(directory: dir, name: "last")
        for suffix in suffixes {
            try Data("old\(suffix)".utf8).write(to: files.live(suffix))
            if suffix != CheckpointFileSet.metadataSuffix || stagedMetadata {
                try Data("new\(suffix)".utf8).write(to: files.staged(suffix))
            }
        }
        return files
    }

    static func contents(_ files: CheckpointFileSet) throws -> [String] {
        try suffixes.map { String(decoding: try Data(contentsOf: files.live($0)), as: UTF8.self) }
    }

    static func stagedLeft(_ files: CheckpointFileSet) -> Bool {
        suffixes.contains { FileManager.default.fileExists(atPath: files.staged($0).path) }
    }

    @Test func aKillBeforeTheStagedMetadataKeepsThePreviousCheckpoint() throws {
        let files = try Self.prepare(stagedMetadata: false)
        defer { try? FileManager.default.removeItem(at: files.directory) }
        #expect(try files.recover() == false)
        #expect(try Self.contents(files) == Self.suffixes.map { "old\($0)" })
        #expect(!Self.stagedLeft(files))
    }

    @Test(arguments: 0...3)
    func aKillDuringTheRenamesIsFinishedOnRecovery(renamed: Int) throws {
        let files = try Self.prepare(stagedMetadata: true)
        defer { try? FileManager.default.removeItem(at: files.directory) }
        // The commit's first `renamed` moves happened, then the process died.
        for suffix in Self.suffixes.prefix(renamed) {
            try FileManager.default.removeItem(at: files.live(suffix))
            try FileManager.default.moveItem(at: files.staged(suffix), to: files.live(suffix))
        }
        #expect(files.isResumable)
        #expect(try files.recover() == true)
        #expect(try Self.contents(files) == Self.suffixes.map { "new\($0)" })
        #expect(!Self.stagedLeft(files))
    }

    @Test func stagingRemovesAnOlderStagedSet() throws {
        let files = try Self.prepare(stagedMetadata: true)
        defer { try? FileManager.default.removeItem(at: files.directory) }
        try files.beginStaging()
        #expect(!Self.stagedLeft(files))
        #expect(try Self.contents(files) == Self.suffixes.map { "old\($0)" })
    }
}
