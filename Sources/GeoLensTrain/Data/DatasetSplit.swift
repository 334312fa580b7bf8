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

    /// Iterative stratification for multi-label tiles (Sechidis, Tsoumakas and Vlahavas 2011,
    /// "On the stratification of multi-label data", Algorithm 1), so every label keeps its share
    /// of tiles in each part: parts (train, validation, test) want `fraction x tiles` tiles and
    /// `fraction x tiles with label l` of each label l. Repeatedly, the label with the fewest
    /// remaining tiles (ties: lower index) is taken and each of its tiles, in a seeded order, goes
    /// to the part that most wants that label, ties broken by the part that most wants tiles, then
    /// by the seeded generator; the tile's labels and the part's tile count are then debited.
    /// Tiles without labels go to the part that most wants tiles.
    public static func iterativeStratified(_ tiles: [TrainingTile], validation: Double, test: Double, seed: UInt64) -> DatasetSplit {
        let fractions = [1 - validation - test, validation, test]
        let labels = Set(tiles.flatMap(\.classesPresent)).sorted()
        var generator = SeededGenerator(seed: seed)
        var wantedTiles = fractions.map { $0 * Double(tiles.count) }
        var wantedByLabel: [Int: [Double]] = [:]
        var remainingByLabel: [Int: [Int]] = [:]
        for l in labels { remainingByLabel[l] = [] }
        for (i, tile) in tiles.enumerated() { for l in tile.classesPresent { remainingByLabel[l]!.append(i) } }
        for l in labels { wantedByLabel[l] = fractions.map { $0 * Double(remainingByLabel[l]!.count) } }
        var assigned = [Int?](repeating: nil, count: tiles.count)
        var parts: [[Int]] = [[], [], []]

        func choose(_ candidates: [Int]) -> Int {
            candidates.count == 1 ? candidates[0] : candidates[Int(generator.next() % UInt64(candidates.count))]
        }
        func assign(_ i: Int, to part: Int) {
            assigned[i] = part
            parts[part].append(i)
            wantedTiles[part] -= 1
            for l in tiles[i].classesPresent { wantedByLabel[l]![part] -= 1 }
        }
        while true {
            // The label with the fewest unassigned tiles left.
            var best: (label: Int, count: Int)? = nil
            for l in labels {
                let left = remainingByLabel[l]!.filter { assigned[$0] == nil }
                remainingByLabel[l] = left
                if !left.isEmpty && (best == nil || left.count < best!.count) { best = (l, left.count) }
            }
            guard let (label, _) = best else { break }
            var members = remainingByLabel[label]!
            members.shuffle(using: &generator)
            for i in members {
                let wants = wantedByLabel[label]!
                let top = (0..<3).filter { fractions[$0] > 0 }.map { wants[$0] }.max()!
                var candidates = (0..<3).filter { fractions[$0] > 0 && wants[$0] == top }
                if candidates.count > 1 {
                    let most = candidates.map { wantedTiles[$0] }.max()!
                    candidates = candidates.filter { wantedTiles[$0] == most }
                }
                assign(i, to: choose(candidates))
            }
        }
        var unlabelled = tiles.indices.filter { assigned[$0] == nil }
        unlabelled.shuffle(using: &generator)
        for i in unlabelled {
            let most = (0..<3).filter { fractions[$0] > 0 }.map { wantedTiles[$0] }.max()!
            assign(i, to: choose((0..<3).filter { fractions[$0] > 0 && wantedTiles[$0] == most }))
        }
        return DatasetSplit(train: parts[0].sorted(), validation: parts[1].sorted(), test: parts[2].sorted())
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
