import GeoLensEval
import GeoLensTensor

/// Deterministic synthetic tiles: logits whose top class matches the label with probability
/// `skill`, plus a few ignored labels, so metrics, entropy and calibration are all non-trivial.
struct SyntheticTile {
    let id: String
    let logits: Tensor
    let labels: [Int32]

    static func make(count: Int, classes: Int, side: Int, skill: Float, seed: UInt64,
                     ignoreIndex: Int32 = 255) -> [SyntheticTile] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { t in
            let plane = side * side
            var labels = [Int32](repeating: 0, count: plane)
            var scores = [Float](repeating: 0, count: classes * plane)
            for p in 0..<plane {
                // Tiles differ in class mix: tile t favours class t % classes.
                let favoured = rng.nextUniform() < 0.5
                let label = favoured ? Int32(t % classes) : Int32(rng.next() % UInt64(classes))
                labels[p] = rng.nextUniform() < 0.03 ? ignoreIndex : label
                let hit = rng.nextUniform() < skill
                let top = hit ? Int(label) : Int(rng.next() % UInt64(classes))
                for c in 0..<classes { scores[c * plane + p] = rng.nextNormal() }
                scores[top * plane + p] += 2.5
            }
            return SyntheticTile(id: String(format3(t)), logits: Tensor(shape: [1, classes, side, side], scalars: scores),
                                 labels: labels)
        }
    }

    private static func format3(_ n: Int) -> String {
        let s = String(n)
        return "tile_" + String(repeating: "0", count: max(0, 3 - s.count)) + s
    }
}

extension EvaluationAccumulator {
    /// Adds tiles in batches of `batch` images.
    mutating func add(_ tiles: some Collection<SyntheticTile>, batch: Int = 3) {
        let list = Array(tiles)
        var start = 0
        while start < list.count {
            let part = list[start..<min(start + batch, list.count)]
            add(Tensor.concatenate(part.map(\.logits), alongAxis: 0), labels: part.flatMap(\.labels),
                tileIDs: part.map(\.id))
            start += batch
        }
    }
}
