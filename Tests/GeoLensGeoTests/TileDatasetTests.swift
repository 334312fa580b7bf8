import Foundation
import GeoLensGeo
import Testing

@Suite struct TileDatasetTests {
    /// Writes images `names` with `_img` and labels with `_mask` into `images/` and `labels/`.
    private func makeDataset(_ names: [String]) throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory()
        for name in names {
            try GeoFixtures.write(dir.file("images/\(name)_img.tif"), width: 8, height: 8, bands: 2, type: .uint16)
            try GeoFixtures.write(dir.file("labels/\(name)_mask.tif"), width: 8, height: 8, bands: 1, type: .uint8)
        }
        return dir
    }

    @Test func pairsBySuffixRulesInSortedOrder() throws {
        let dir = try makeDataset(["b", "a", "c10", "c2"])
        let rule = PairingRule(imageSuffix: "_img", labelSuffix: "_mask")
        let dataset = try TileDataset(images: dir.file("images"), labels: dir.file("labels"), rule: rule)
        #expect(dataset.pairs.map(\.stem) == ["a", "b", "c10", "c2"])
        #expect(dataset.pairs[0].relativePath == "a_img.tif")
        #expect(dataset.pairs[0].label?.hasSuffix("labels/a_mask.tif") == true)
        for pair in dataset.pairs { try TileDataset.checkAlignment(pair) }
        let globbed = try TileDataset(images: dir.file("images/*_img.tif"), labels: dir.file("labels"), rule: rule)
        #expect(globbed.pairs == dataset.pairs)
    }

    @Test func missingLabelNamesTheImageAndExpectedFile() throws {
        let dir = try makeDataset(["a"])
        try GeoFixtures.write(dir.file("images/z_img.tif"), width: 8, height: 8, bands: 2, type: .uint16)
        let rule = PairingRule(imageSuffix: "_img", labelSuffix: "_mask")
        #expect {
            try TileDataset(images: dir.file("images"), labels: dir.file("labels"), rule: rule)
        } throws: { error in
            guard let error = error as? GeoError else { return false }
            return error.code == .missingPair && error.message.contains("z_img.tif") && error.message.contains("z_mask.tif")
        }
    }

    @Test func misalignedPairNamesBothFiles() throws {
        let dir = try makeDataset(["a"])
        try GeoFixtures.write(dir.file("labels/a_mask.tif"), width: 8, height: 8, bands: 1, type: .uint8, crs: GeoFixtures.utm32)
        let dataset = try TileDataset(images: dir.file("images"), labels: dir.file("labels"),
                                      rule: PairingRule(imageSuffix: "_img", labelSuffix: "_mask"))
        #expect {
            try TileDataset.checkAlignment(dataset.pairs[0])
        } throws: { error in
            let text = "\(error)"
            return text.contains("a_img.tif") && text.contains("a_mask.tif") && text.contains("CRS")
        }
    }

    @Test func emptyGlobIsAnError() throws {
        let dir = try TemporaryDirectory()
        #expect(throws: GeoError.self) { try TileDataset(images: dir.file("*.tif")) }
    }

    @Test func shardsPartitionTheDatasetStably() throws {
        let paths = (0..<200).map { "region_\($0 % 7)/tile_\($0).tif" }
        var seen: [String: Int] = [:]
        for index in 0..<4 {
            let shard = try Shard(index: index, count: 4)
            for path in paths where shard.contains(relativePath: path) { seen[path, default: 0] += 1 }
        }
        #expect(seen.count == 200 && seen.values.allSatisfy { $0 == 1 })
        let sizes = try (0..<4).map { i in try paths.filter { try Shard(index: i, count: 4).contains(relativePath: $0) }.count }
        #expect(sizes.allSatisfy { $0 > 25 })
        // FNV-1a 64 of "a" is a published test vector: the split cannot drift between versions.
        #expect(Shard.fnv1a("a") == 0xaf63_dc4c_8601_ec8c)
        #expect(Shard.fnv1a("") == 0xcbf2_9ce4_8422_2325)
    }

    @Test func shardFromTextAndEnvironment() throws {
        #expect(try Shard(parsing: "2/8") == Shard(index: 2, count: 8))
        #expect(try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "4",
                                           "SLURM_ARRAY_TASK_MIN": "2"]) == Shard(index: 3, count: 4))
        #expect(try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "1", "GEOLENS_SHARD_COUNT": "3"]) == Shard(index: 1, count: 3))
        #expect(try Shard.fromEnvironment([:]) == nil)
        // The declared array (MIN...MAX) gives the count, also while some tasks are throttled.
        #expect(try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "3",
                                           "SLURM_ARRAY_TASK_COUNT": "4"]) == Shard(index: 3, count: 4))
        // A resubmitted task (`sbatch --array=2`) takes its count from GEOLENS_SHARD_COUNT ...
        #expect(try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "2", "SLURM_ARRAY_TASK_MAX": "2",
                                           "SLURM_ARRAY_TASK_COUNT": "1", "GEOLENS_SHARD_COUNT": "4"]) == Shard(index: 2, count: 4))
        // ... and without it is refused instead of scoring the whole set.
        let resubmitted = #expect(throws: GeoError.self) {
            try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "2", "SLURM_ARRAY_TASK_MAX": "2",
                                       "SLURM_ARRAY_TASK_COUNT": "1"])
        }
        #expect(resubmitted?.message.contains("--shard 2/N") == true)
    }

    @Test func datasetShardSelection() throws {
        let dir = try makeDataset((0..<6).map { "t\($0)" })
        let dataset = try TileDataset(images: dir.file("images"), rule: PairingRule(imageSuffix: "_img"))
        #expect(dataset.pairs.allSatisfy { $0.label == nil })
        let parts = try (0..<3).map { try dataset.pairs(in: Shard(index: $0, count: 3)) }
        #expect(parts.flatMap { $0 }.map(\.stem).sorted() == dataset.pairs.map(\.stem))
    }
}
