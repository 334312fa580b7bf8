internal import COpenBLAS

/// The only door to OpenBLAS: single-precision GEMM and GEMV, and thread control.
public enum BLAS {
    /// `C = alpha * op(A) * op(B) + beta * C`, row-major; `op(X)` is X or its transpose.
    /// `A` is m x k after `op`, `B` is k x n after `op`, `C` is m x n.
    @inlinable
    public static func sgemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            // BLAS leaves C untouched when k == 0 only if beta == 1; make the result explicit.
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } }
            return
        }
        gemm(transposeA, transposeB, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    @usableFromInline
    static func gemm(_ ta: Bool, _ tb: Bool, _ m: Int32, _ n: Int32, _ k: Int32, _ alpha: Float,
                     _ a: UnsafePointer<Float>, _ lda: Int32, _ b: UnsafePointer<Float>, _ ldb: Int32,
                     _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int32) {
        useSingleThread()
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                    m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }

    /// `y = A x`, row-major `A` of m x n (row stride `lda`), `x` of n values, `y` of m values.
    public static func sgemv(m: Int, n: Int, a: UnsafePointer<Float>, lda: Int,
                             x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        guard m > 0 else { return }
        guard n > 0 else { y.initialize(repeating: 0, count: m); return }
        useSingleThread()
        cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(n), 1, a, Int32(lda), x, 1, 0, y, 1)
    }

    /// Threads OpenBLAS may use inside one call. GeoLens parallelizes its kernels itself and keeps
    /// OpenBLAS at one thread (see `useSingleThread()`); this is for benchmarks of raw GEMM.
    public static func setThreadCount(_ n: Int) {
        openblas_set_num_threads(Int32(n))
    }

    private static let singleThreaded: Void = { openblas_set_num_threads(1) }()

    /// Sets OpenBLAS to one thread, once per process.
    public static func useSingleThread() { _ = singleThreaded }

    /// The number of threads OpenBLAS uses now.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }
}
