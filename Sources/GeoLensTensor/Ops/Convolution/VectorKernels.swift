/// Small SIMD loops shared by the convolution kernels. Written with explicit `SIMD8<Float>` so
/// that reductions vectorize (the compiler may not reassociate a scalar float sum by itself).
///
/// Multiply and add stay separate operations: the package builds for baseline x86-64, where
/// `addingProduct` (a fused multiply-add) becomes one libm `fmaf` call per lane.
enum VectorKernels {
    typealias Vector = SIMD8<Float>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    /// `y[i] += x[i]` for `i < count`.
    @inline(__always)
    static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            store(load(x + i) + load(y + i), y + i)
            i += 8
        }
        while i < count { y[i] += x[i]; i += 1 }
    }

    /// `y[i] += alpha * x[i]` for `i < count`.
    @inline(__always)
    static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        let a = Vector(repeating: alpha)
        var i = 0
        while i + 8 <= count {
            store(load(y + i) + a * load(x + i), y + i)
            i += 8
        }
        while i < count { y[i] += alpha * x[i]; i += 1 }
    }

    /// `sum(x[i] * y[i])` for `i < count`.
    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        var acc0 = Vector(), acc1 = Vector()
        var i = 0
        while i + 16 <= count {
            acc0 += load(x + i) * load(y + i)
            acc1 += load(x + i + 8) * load(y + i + 8)
            i += 16
        }
        if i + 8 <= count {
            acc0 += load(x + i) * load(y + i)
            i += 8
        }
        var total = (acc0 + acc1).sum()
        while i < count { total += x[i] * y[i]; i += 1 }
        return total
    }

    /// `sum(x[i])` for `i < count`.
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var acc = Vector()
        var i = 0
        while i + 8 <= count {
            acc += load(x + i)
            i += 8
        }
        var total = acc.sum()
        while i < count { total += x[i]; i += 1 }
        return total
    }
}
