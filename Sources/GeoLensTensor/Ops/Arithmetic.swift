/// Broadcasting arithmetic (NumPy rules) with gradients, and scalar forms.
extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let y = BroadcastKernel.apply(a, b, op: "add", Sum())
        let (sa, sb) = (a.shape, b.shape)
        return Tape.record(y, op: "add", inputs: [a, b]) { g, needs in
            [needs[0] ? g.summed(toShape: sa) : nil, needs[1] ? g.summed(toShape: sb) : nil]
        }
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let y = BroadcastKernel.apply(a, b, op: "sub", Difference())
        let (sa, sb) = (a.shape, b.shape)
        return Tape.record(y, op: "sub", inputs: [a, b]) { g, needs in
            [needs[0] ? g.summed(toShape: sa) : nil, needs[1] ? (-g).summed(toShape: sb) : nil]
        }
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let y = BroadcastKernel.apply(a, b, op: "mul", Product())
        return Tape.record(y, op: "mul", inputs: [a, b]) { g, needs in
            [needs[0] ? (g * b.detached()).summed(toShape: a.shape) : nil,
             needs[1] ? (g * a.detached()).summed(toShape: b.shape) : nil]
        }
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let y = BroadcastKernel.apply(a, b, op: "div", Quotient())
        return Tape.record(y, op: "div", inputs: [a, b]) { g, needs in
            let bd = b.detached()
            return [needs[0] ? (g / bd).summed(toShape: a.shape) : nil,
                    needs[1] ? (-(g * y.detached()) / bd).summed(toShape: b.shape) : nil]
        }
    }

    public static prefix func - (x: Tensor) -> Tensor {
        let y = x.mapScalars { -$0 }
        return Tape.record(y, op: "neg", x) { g in -g }
    }

    public static func + (a: Tensor, s: Float) -> Tensor {
        Tape.record(a.mapScalars { $0 + s }, op: "add_scalar", a) { g in g }
    }
    public static func + (s: Float, a: Tensor) -> Tensor { a + s }
    public static func - (a: Tensor, s: Float) -> Tensor { a + (-s) }
    public static func - (s: Float, a: Tensor) -> Tensor {
        Tape.record(a.mapScalars { s - $0 }, op: "rsub_scalar", a) { g in -g }
    }
    public static func * (a: Tensor, s: Float) -> Tensor {
        Tape.record(a.mapScalars { $0 * s }, op: "mul_scalar", a) { g in g * s }
    }
    public static func * (s: Float, a: Tensor) -> Tensor { a * s }
    public static func / (a: Tensor, s: Float) -> Tensor { a * (1 / s) }

    /// Applies `f` to every element, off the tape (a building block for kernels with their own gradients).
    @inlinable
    public func mapScalars(_ f: (Float) -> Float) -> Tensor {
        Tensor(shape: shape) { out in
            withUnsafeBufferPointer { src in
                for i in 0..<out.count { out[i] = f(src[i]) }
            }
        }
    }

    /// Combines two tensors of the same shape element by element, off the tape.
    @inlinable
    public func zipScalars(_ other: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        precondition(shape == other.shape, "zipScalars: shapes \(shape) and \(other.shape) differ")
        return Tensor(shape: shape) { out in
            withUnsafeBufferPointer { a in
                other.withUnsafeBufferPointer { b in
                    for i in 0..<out.count { out[i] = f(a[i], b[i]) }
                }
            }
        }
    }
}

/// Elementwise math with gradients.
extension Tensor {
    public func exp() -> Tensor {
        let y = mapScalars { _expf($0) }
        return Tape.record(y, op: "exp", self) { g in g * y.detached() }
    }

    public func log() -> Tensor {
        let x = detached()
        return Tape.record(mapScalars { _logf($0) }, op: "log", self) { g in g / x }
    }

    public func sqrt() -> Tensor {
        let y = mapScalars { $0.squareRoot() }
        return Tape.record(y, op: "sqrt", self) { g in g.zipScalars(y) { $0 * 0.5 / $1 } }
    }

    public func squared() -> Tensor {
        let x = detached()
        return Tape.record(mapScalars { $0 * $0 }, op: "square", self) { g in g.zipScalars(x) { 2 * $0 * $1 } }
    }

    /// Elementwise power with a constant exponent.
    public func pow(_ p: Float) -> Tensor {
        let x = detached()
        return Tape.record(mapScalars { _powf($0, p) }, op: "pow", self) { g in
            g.zipScalars(x) { $0 * p * _powf($1, p - 1) }
        }
    }

    public func abs() -> Tensor {
        let x = detached()
        return Tape.record(mapScalars { Swift.abs($0) }, op: "abs", self) { g in
            g.zipScalars(x) { $1 > 0 ? $0 : ($1 < 0 ? -$0 : 0) }
        }
    }

    /// The Gauss error function.
    public func erf() -> Tensor {
        let x = detached()
        return Tape.record(mapScalars { _erff($0) }, op: "erf", self) { g in
            g.zipScalars(x) { $0 * 1.1283791670955126 * _expf(-$1 * $1) }
        }
    }
}
