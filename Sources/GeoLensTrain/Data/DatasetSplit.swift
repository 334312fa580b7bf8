import GeoLensTensor

/// Train/validation/test split of tile indices.
public struct DatasetSplit: Sendable, Equatable {
    public var train: [Int]
    public var validation: [Int]
    public var test: [Int]

    /// Stratified by the set of classes present per tile: tiles with the same class set are
    /// shuffled (seeded) and divided by the fractions, so each split sees every combination.
    /// Every stratum with at least two tiles gives at least one to validation when `validation > 0`.
    public static func stratified(_ tiles: [TrainingTile], validation: Double, test: Double, seed: UInt64) -> DatasetSplit {
        var strata: [String: [Int]] = [:]
        for (i, tile) in tiles.enumerated() {
            strata[tile.classesPresent.sorted().map(String.init).joined(separator: ","), default: []].append(i)
        }
        var generator = SeededGenerator(seed: seed)
        var split = DatasetSplit(train: [], validation: [], test: [])
        for key in strata.keys.sorted() {
            var members = strata[key]!
            members.shuffle(using: &generator)
            var nValidation = Int((Double(members.count) * validation).rounded())
            var nTest = Int((Double(members.count) * test).rounded())
            if validation > 0 && nValidation == 0 && members.count >= 2 { nValidation = 1 }
            nTest = Swift.min(nTest, Swift.max(members.count - nValidation - 1, 0))
            nValidation = Swift.min(nValidation, members.count - 1)
            split.validation += members.prefix(nValidation)
            split.test += members.dropFirst(nValidation).prefix(nTest)
            split.train += members.dropFirst(nValidation + nTest)
        }
        split.train.sort(); split.validation.sort(); split.test.sort()
        return split
    }

    /// A split given by tile id lists; tiles in no list go to training.
    public static func listed(_ tiles: [TrainingTile], validation: [String], test: [String]) throws -> DatasetSplit {
        let ids = Dictionary(uniqueKeysWithValues: tiles.enumerated().map { ($0.element.id, $0.offset) })
        func indices(_ names: [String], _ key: String) throws -> [Int] {
            try names.map { name in
                guard let i = ids[name] else { throw TrainingError.configuration("\(key) names tile '\(name)', which is not in the dataset") }
                return i
            }
        }
        let v = try indices(validation, "data.validation_tiles"), t = try indices(test, "data.test_tiles")
        let held = Set(v + t)
        return DatasetSplit(train: tiles.indices.filter { !held.contains($0) }, validation: v.sorted(), test: t.sorted())
    }

    /// Keeps, in a seeded order, only tiles that add to a class still under `cap` tiles.
    public static func capPerClass(_ indices: [Int], tiles: [TrainingTile], cap: Int, seed: UInt64) -> [Int] {
        var generator = SeededGenerator(seed: seed)
        var order = indices
        order.shuffle(using: &generator)
        var counts: [Int: Int] = [:]
        var kept: [Int] = []
        for i in order where tiles[i].classesPresent.contains(where: { counts[$0, default: 0] < cap }) {
            kept.append(i)
            for c in tiles[i].classesPresent { counts[c, default: 0] += 1 }
        }
        return kept.sorted()
    }
}
