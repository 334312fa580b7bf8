import Foundation
import GeoLensTensor
import Testing

/// One tensor of a reference fixture: shape plus row-major values.
struct ReferenceTensor: Decodable {
    let shape: [Int]
    let data: [Float]
    var tensor: Tensor { Tensor(shape: shape, scalars: data) }
}

/// An op attribute as written by `scripts/reference/common.py`.
enum ReferenceAttribute: Decodable {
    case int(Int), double(Double), bool(Bool), string(String), ints([Int]), doubles([Double])

    init(from decoder: Decoder) throws {
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
struct ReferenceCase: Decodable {
    let name: String
    let op: String
    let attrs: [String: ReferenceAttribute]
    let inputs: [ReferenceTensor]
    let output: ReferenceTensor
    let upstream: ReferenceTensor?
    let grads: [ReferenceTensor?]?

    func int(_ key: String, default value: Int? = nil) -> Int {
        switch attrs[key] {
        case .int(let v): return v
        case .bool(let v): return v ? 1 : 0
        default:
            guard let value else { fatalError("reference case \(name): attribute \(key) missing") }
            return value
        }
    }
    func double(_ key: String, default value: Double? = nil) -> Double {
        switch attrs[key] {
        case .double(let v): return v
        case .int(let v): return Double(v)
        default:
            guard let value else { fatalError("reference case \(name): attribute \(key) missing") }
            return value
        }
    }
    func bool(_ key: String, default value: Bool = false) -> Bool {
        if case .bool(let v) = attrs[key] { return v }
        if case .int(let v) = attrs[key] { return v != 0 }
        return value
    }
    func string(_ key: String, default value: String = "") -> String {
        if case .string(let v) = attrs[key] { return v }
        return value
    }
    func ints(_ key: String, default value: [Int] = []) -> [Int] {
        switch attrs[key] {
        case .ints(let v): return v
        case .int(let v): return [v]
        default: return value
        }
    }
}

struct ReferenceFile: Decodable {
    let generator: String
    let torch: String
    let cases: [ReferenceCase]
}

enum Fixtures {
    /// The repository root (tests run from a clone; paths are resolved from this file).
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func url(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    /// Loads `fixtures/reference/tensor/<name>`.
    static func referenceCases(_ name: String) throws -> [ReferenceCase] {
        let data = try Data(contentsOf: url("fixtures/reference/tensor/\(name)"))
        return try JSONDecoder().decode(ReferenceFile.self, from: data).cases
    }
}

/// max |a - b| <= tolerance * max(1, max |b|): the agreement the engine promises against PyTorch.
func expectClose(_ actual: Tensor, _ expected: ReferenceTensor, tolerance: Float = 1e-5,
                 _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.shape == expected.shape, "\(what): shape \(actual.shape) != \(expected.shape)", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let a = actual.scalars
    let scale = max(1, expected.data.map { abs($0) }.max() ?? 0)
    var worst: Float = 0
    for i in a.indices {
        let d = abs(a[i] - expected.data[i])
        if d > worst || d.isNaN { worst = d }
    }
    #expect(worst <= tolerance * scale, "\(what): max abs error \(worst) (scale \(scale))", sourceLocation: sourceLocation)
}

/// Runs every case of a fixture file through `apply` (which maps the case and its inputs to the
/// GeoLens result) and checks forward values and, when present, input gradients.
func checkAgainstReference(_ file: String, tolerance: Float = 1e-5,
                           sourceLocation: SourceLocation = #_sourceLocation,
                           _ apply: (ReferenceCase, [Tensor]) -> Tensor?) throws {
    let cases = try Fixtures.referenceCases(file)
    #expect(!cases.isEmpty, "\(file) holds no cases", sourceLocation: sourceLocation)
    for c in cases {
        let inputs = c.inputs.map { $0.tensor.requiringGradient() }
        guard let y = apply(c, inputs) else {
            Issue.record("\(file): no GeoLens op for reference case \(c.name) (op \(c.op))", sourceLocation: sourceLocation)
            continue
        }
        expectClose(y, c.output, tolerance: tolerance, "\(c.name) forward", sourceLocation: sourceLocation)
        guard let upstream = c.upstream, let grads = c.grads else { continue }
        let computed = gradients(of: y, seed: upstream.tensor, wrt: inputs)
        for (i, expected) in grads.enumerated() {
            guard let expected else { continue }
            expectClose(computed[i], expected, tolerance: tolerance, "\(c.name) gradient of input \(i)", sourceLocation: sourceLocation)
        }
    }
}
