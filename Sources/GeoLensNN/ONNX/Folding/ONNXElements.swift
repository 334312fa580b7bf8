import Foundation
import GeoLensTensor

/// The elements of a constant while it is being folded: integers (and booleans) or floats.
/// Folded tensors are small shape vectors or one-time weight conversions, so plain arrays do.
enum ONNXElements {
    case ints([Int])
    case floats([Float])

    init(_ constant: ONNXConstant) {
        switch constant.storage {
        case .integer(let values): self = .ints(values)
        case .float(let tensor): self = .floats(tensor.scalars)
        }
    }

    var asInts: [Int] {
        switch self {
        case .ints(let v): return v
        case .floats(let v): return v.map(ONNXConstant.saturatingInt)
        }
    }

    var asFloats: [Float] {
        switch self {
        case .ints(let v): return v.map { Float($0) }
        case .floats(let v): return v
        }
    }

    /// Wraps the elements as a constant of `type` (floats become a Float32 tensor).
    func constant(shape: [Int], type: ONNXElementType) -> ONNXConstant {
        if type.isFloatingPoint { return ONNXConstant(Tensor(shape: shape, scalars: asFloats), elementType: type) }
        return ONNXConstant(integers: asInts, shape: shape, elementType: type)
    }

    /// Elements converted as ONNX `Cast` does (float to int truncates; to bool tests non-zero).
    func cast(to type: ONNXElementType) -> ONNXElements {
        if type.isFloatingPoint { return .floats(asFloats) }
        if type == .bool {
            switch self {
            case .ints(let v): return .ints(v.map { $0 != 0 ? 1 : 0 })
            case .floats(let v): return .ints(v.map { $0 != 0 ? 1 : 0 })
            }
        }
        return .ints(asInts)
    }

    /// The elements at `indices`, in that order.
    func gathered(_ indices: [Int]) -> ONNXElements {
        switch self {
        case .ints(let v): return .ints(indices.map { v[$0] })
        case .floats(let v): return .floats(indices.map { v[$0] })
        }
    }

    /// `count` values `start, start + delta, ...` (self is the scalar start).
    func range(count: Int, delta: ONNXElements) -> ONNXElements {
        switch self {
        case .ints(let s): return .ints((0 ..< count).map { s[0] + $0 * delta.asInts[0] })
        case .floats(let s): return .floats((0 ..< count).map { s[0] + Float($0) * delta.asFloats[0] })
        }
    }

    /// Self where `condition` is non-zero, `other` elsewhere (same counts).
    func selecting(_ other: ONNXElements, where condition: [Int]) -> ONNXElements {
        switch (self, other) {
        case (.ints(let a), .ints(let b)): return .ints(condition.indices.map { condition[$0] != 0 ? a[$0] : b[$0] })
        default:
            let a = asFloats, b = other.asFloats
            return .floats(condition.indices.map { condition[$0] != 0 ? a[$0] : b[$0] })
        }
    }

    func unary(_ op: String) -> ONNXElements {
        switch (self, op) {
        case (.ints(let v), "Relu"): return .ints(v.map { max($0, 0) })
        case (.ints, "Ceil"): return self
        case (_, "Ceil"): return .floats(asFloats.map { $0.rounded(.up) })
        case (_, "Sqrt"): return .floats(asFloats.map { $0.squareRoot() })
        case (_, "Exp"): return .floats(asFloats.map { Foundation.exp($0) })
        case (.ints(let v), "Neg"): return .ints(v.map { 0 &- $0 })
        case (.ints(let v), "Abs"): return .ints(v.map { $0 == Int.min ? $0 : Swift.abs($0) })
        case (_, "Not"): return .ints(asFloats.map { $0 == 0 ? 1 : 0 })
        case (_, "Neg"): return .floats(asFloats.map { -$0 })
        case (_, "Abs"): return .floats(asFloats.map { Swift.abs($0) })

        default: return .floats(asFloats.map { max($0, 0) })
        }
    }

    func clipped(min low: Float, max high: Float) -> ONNXElements {
        switch self {
        case .ints(let v):
            let lo = low.isFinite ? Int(low) : Int.min, hi = high.isFinite ? Int(high) : Int.max
            return .ints(v.map { Swift.min(Swift.max($0, lo), hi) })
        case .floats(let v): return .floats(v.map { Swift.min(Swift.max($0, low), high) })
        }
    }

    /// Elementwise binary operators on equal-length operands; integers when both are integers.
    /// Comparisons and logic give 0 or 1; `Mod` takes the divisor's sign (Python), `Fmod` the dividend's (C).
    func combined(with other: ONNXElements, _ op: String, node: ONNXNode) throws -> ONNXElements {
        if let truth = Self.comparison(op) {
            let a = asFloats, b = other.asFloats
            if case .ints(let x) = self, case .ints(let y) = other { return .ints(zip(x, y).map { truth(Double($0), Double($1)) ? 1 : 0 }) }
            return .ints(zip(a, b).map { truth(Double($0), Double($1)) ? 1 : 0 })
        }
        if case .ints(let a) = self, case .ints(let b) = other {
            return .ints(try zip(a, b).map { x, y in
                switch op {
                case "Add": return x &+ y
                case "Sub": return x &- y
                case "Mul": return x &* y
                case "Max": return Swift.max(x, y)
                case "Min": return Swift.min(x, y)
                case "Div", "Mod", "Fmod":
                    guard y != 0 else { throw ONNXShapeMath.fail(node, "integer division by zero while folding constants") }
                    if op == "Div" { return x / y }
                    let r = x % y
                    return op == "Mod" && r != 0 && (r < 0) != (y < 0) ? r + y : r
                default: return ONNXConstant.saturatingInt(Float(Foundation.pow(Double(x), Double(y))))
                }
            })
        }
        let a = asFloats, b = other.asFloats
        return .floats(zip(a, b).map { x, y in
            switch op {
            case "Add": return x + y
            case "Sub": return x - y
            case "Mul": return x * y
            case "Div": return x / y
            case "Max": return Swift.max(x, y)
            case "Min": return Swift.min(x, y)
            case "Fmod": return Foundation.fmod(x, y)
            case "Mod":
                let r = Foundation.fmod(x, y)
                return r != 0 && (r < 0) != (y < 0) ? r + y : r
            default: return Foundation.pow(x, y)
            }
        })
    }

    /// The test of a comparison or logical operator, nil for arithmetic.
    static func comparison(_ op: String) -> ((Double, Double) -> Bool)? {
        switch op {
        case "Equal": return { $0 == $1 }
        case "Less": return { $0 < $1 }
        case "Greater": return { $0 > $1 }
        case "LessOrEqual": return { $0 <= $1 }
        case "GreaterOrEqual": return { $0 >= $1 }
        case "And": return { $0 != 0 && $1 != 0 }
        case "Or": return { $0 != 0 || $1 != 0 }
        case "Xor": return { ($0 != 0) != ($1 != 0) }
        default: return nil
        }
    }

    /// Zeros of the same kind and count.
    var zeroed: ONNXElements {
        switch self {
        case .ints(let v): return .ints(Array(repeating: 0, count: v.count))
        case .floats(let v): return .floats(Array(repeating: 0, count: v.count))
        }
    }

    /// `a` followed by `b` (floats when either is).
    static func joined(_ a: ONNXElements, _ b: ONNXElements) -> ONNXElements {
        if case .ints(let x) = a, case .ints(let y) = b { return .ints(x + y) }
        return .floats(a.asFloats + b.asFloats)
    }

    /// Running sums along `axis` of elements of `shape` (ONNX `CumSum`).
    func runningSum(shape: [Int], axis: Int, exclusive: Bool, reverse: Bool) -> ONNXElements {
        let outer = Shape.count(Array(shape[..<axis])), n = shape[axis], inner = Shape.count(Array(shape[(axis + 1)...]))
        func scan<T: AdditiveArithmetic>(_ v: [T]) -> [T] {
            var out = v
            for o in 0..<outer {
                for i in 0..<inner {
                    var acc = T.zero
                    for step in 0..<n {
                        let j = (o * n + (reverse ? n - 1 - step : step)) * inner + i
                        if exclusive { out[j] = acc; acc += v[j] } else { acc += v[j]; out[j] = acc }
                    }
                }
            }
            return out
        }
        switch self {
        case .ints(let v): return .ints(scan(v))
        case .floats(let v): return .floats(scan(v))
        }
    }
}

/// Source-index maps for the index-moving ops folded at plan time.
enum ONNXIndexing {
    /// For each element of `shape`, the index of the element of `source` broadcast to it.
    static func broadcastIndices(_ source: [Int], to shape: [Int]) -> [Int] {
        let padded = Array(repeating: 1, count: shape.count - source.count) + source
        let sourceStrides = Shape.strides(padded)
        return mapIndices(shape) { position in
            zip(zip(position, padded), sourceStrides).reduce(0) { $0 + ($1.0.1 == 1 ? 0 : $1.0.0 * $1.1) }
        }
    }

    /// For each output element of a slice, the index it reads in `source`.
    static func sliceIndices(_ source: [Int], starts: [Int], steps: [Int], shape: [Int]) -> [Int] {
        let strides = Shape.strides(source)
        return mapIndices(shape) { position in
            position.indices.reduce(0) { $0 + (starts[$1] + position[$1] * steps[$1]) * strides[$1] }
        }
    }

    /// For each output element of a transpose by `perm`, the index it reads in `source`.
    static func transposeIndices(_ source: [Int], perm: [Int]) -> [Int] {
        let strides = Shape.strides(source)
        return mapIndices(perm.map { source[$0] }) { position in
            position.indices.reduce(0) { $0 + position[$1] * strides[perm[$1]] }
        }
    }

    /// For each output element of a Tile to `shape`, the index it reads in `source`.
    static func tileIndices(_ source: [Int], shape: [Int]) -> [Int] {
        let strides = Shape.strides(source)
        return mapIndices(shape) { position in
            position.indices.reduce(0) { $0 + (position[$1] % source[$1]) * strides[$1] }
        }
    }

    /// For each element of the index tensor of a GatherElements along `axis`, the index it reads.
    static func elementSources(_ indices: ONNXConstant, dataShape: [Int], axis: Int, node: ONNXNode) throws -> [Int] {
        let strides = Shape.strides(dataShape), values = indices.ints, extent = dataShape[axis]
        var k = 0
        var failure: ONNXError?
        let result = mapIndices(indices.shape) { position in
            defer { k += 1 }
            let raw = values[k], index = raw < 0 ? raw + extent : raw
            if index < 0 || index >= extent { failure = ONNXShapeMath.fail(node, "index \(raw) is out of range for axis \(axis) of \(dataShape)"); return 0 }
            return position.indices.reduce(0) { $0 + ($1 == axis ? index : position[$1]) * strides[$1] }
        }
        if let failure { throw failure }
        return result
    }

    /// The part of `value` from `starts` along `axis`, of `shape`.
    static func slice(_ value: ONNXConstant, starts: Int, axis: Int, shape: [Int]) -> ONNXConstant {
        var begin = [Int](repeating: 0, count: shape.count)
        begin[axis] = starts
        let indices = sliceIndices(value.shape, starts: begin, steps: Array(repeating: 1, count: shape.count), shape: shape)
        return ONNXElements(value).gathered(indices).constant(shape: shape, type: value.elementType)
    }

    /// Calls `body` with every multi-index of `shape` in row-major order.
    private static func mapIndices(_ shape: [Int], _ body: ([Int]) -> Int) -> [Int] {
        let count = Shape.count(shape)
        var result: [Int] = []
        result.reserveCapacity(count)
        var position = [Int](repeating: 0, count: shape.count)
        for _ in 0 ..< count {
            result.append(body(position))
            var d = shape.count - 1
            while d >= 0 {
                position[d] += 1
                if position[d] < shape[d] { break }
                position[d] = 0
                d -= 1
            }
        }
        return result
    }
}
