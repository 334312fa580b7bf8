public import Foundation
public import GeoLensTensor

/// One tensor of a reference fixture: shape plus row-major values.
public struct ReferenceTensor: Decodable {
    public let shape: [Int]
    public let data: [Float]
    public var tensor: Tensor { Tensor(shape: shape, scalars: data) }
}

/// An op attribute as written by `scripts/reference/common.py`.
public enum ReferenceAttribute: Decodable {
    case int(Int), double(Double), bool(Bool), string(String), ints([Int]), doubles([Double])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(Bool.self) { self = .bool(v) }
        else if let v = try? c.decode(Int.self) { self = .int(v) }
        else if let v = try? c.decode(Double.self) { self = .double(v) }
        else if let v = try? c.decode(String.self) { self = .string(v) }
        else if let v = try? c.decode([Int].self) { self = .ints(v) }
        else { self = .doubles(try c.decode([Double].self)) }
    }
}

/// One op evaluated by PyTorch: inputs, output, the upstream gradient used and the input gradients
/// (of sum(output * upstream)); a nil gradient means the input is not differentiable (e.g. indices).
public struct ReferenceCase: Decodable {
    public let name: String
    public let op: String
    public let attrs: [String: ReferenceAttribute]
    public let inputs: [ReferenceTensor]
    public let output: ReferenceTensor
    public let upstream: ReferenceTensor?
    public let grads: [ReferenceTensor?]?

    public func int(_ key: String, default value: Int? = nil) -> Int {
        switch attrs[key] {
        case .int(let v): return v
        case .bool(let v): return v ? 1 : 0
        default:
            guard let value else { fatalError("reference case \(name): attribute \(key) missing") }
            return value
        }
    }
    public func double(_ key: String, default value: Double? = nil) -> Double {
        switch attrs[key] {
        case .double(let v): return v
        case .int(let v): return Double(v)
        default:
            guard let value else { fatalError("reference case \(name): attribute \(key) missing") }
            return value
        }
    }
    public func bool(_ key: String, default value: Bool = false) -> Bool {
        if case .bool(let v) = attrs[key] { return v }
        if case .int(let v) = attrs[key] { return v != 0 }
        return value
    }
    public func string(_ key: String, default value: String = "") -> String {
        if case .string(let v) = attrs[key] { return v }
        return value
    }
    public func ints(_ key: String, default value: [Int] = []) -> [Int] {
        switch attrs[key] {
        case .ints(let v): return v
        case .int(let v): return [v]
        default: return value
        }
    }
}

public struct ReferenceFile: Decodable {
    public let generator: String
    public let torch: String
    public let cases: [ReferenceCase]
}

public enum Fixtures {
    /// The repository root (tests run from a clone; paths are resolved from this file).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// Loads the cases of a reference file, e.g. `fixtures/reference/tensor/core.json`.
    public static func referenceCases(_ relativePath: String) throws -> [ReferenceCase] {
        let data = try Data(contentsOf: url(relativePath))
        return try JSONDecoder().decode(ReferenceFile.self, from: data).cases
    }

    /// `../shared/realdata` beside the repository, when present (tests using it skip otherwise).
    public static var realData: URL? {
        let url = root.deletingLastPathComponent().appendingPathComponent("shared/realdata")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }
}

/// The largest elementwise difference and the magnitude it is judged against:
/// agreement means `worst <= tolerance * scale` with `scale = max(1, max |expected|)`.
public func referenceError(_ actual: Tensor, _ expected: ReferenceTensor) -> (worst: Float, scale: Float)? {
    guard actual.shape == expected.shape else { return nil }
    let a = actual.scalars
    let scale = max(1, expected.data.map { abs($0) }.max() ?? 0)
    var worst: Float = 0
    for i in a.indices {
        let d = abs(a[i] - expected.data[i])
        if d > worst || d.isNaN { worst = d }
    }
    return (worst, scale)
}
