/// The weights `scripts/reference/torchvision_resnet_classifier.py` puts into torchvision's ResNets
/// (full-size ResNets are too large to commit): the k-th floating tensor of the state dict, in its
/// order, from the integer hash v[i] = ((i * 2654435761 + k * 40503 + 12345) mod 2^32) / 2^31 - 1,
/// mapped by the parameter's role (see the script).
public enum FormulaWeights {
    public static func values(name: String, shape: [Int], k: Int) -> [Float] {
        let n = shape.reduce(1, *)
        let leaf = name.split(separator: ".").last.map(String.init) ?? name
        let isBatchNorm = name.contains("bn") || name.contains(".downsample.1.")
        let fanIn = Double(n / Swift.max(shape.first ?? 1, 1))
        var values = [Float](repeating: 0, count: n)
        for i in 0..<n {
            let hashed = (Int64(i) &* 2_654_435_761 &+ Int64(k) &* 40503 &+ 12345) % 4_294_967_296
            let v = Double(hashed) / 2_147_483_648 - 1
            let mapped: Double
            switch leaf {
            case "weight" where !isBatchNorm: mapped = v * (3.0 / fanIn).squareRoot()
            case "weight": mapped = 0.5 + 0.25 * v
            case "running_var": mapped = 1 + 0.25 * (v + 1)
            default: mapped = 0.1 * v
            }
            values[i] = Float(mapped)
        }
        return values
    }

    /// The script's input: x[i] = ((7 i^2 + 37 i) mod 101) / 128.
    public static func input(count: Int) -> [Float] {
        var scalars = [Float](repeating: 0, count: count)
        for i in 0..<count {
            let value: Int = (7 * i * i + 37 * i) % 101
            scalars[i] = Float(value) / 128
        }
        return scalars
    }
}
