internal import CGeoLensKernels

/// Which bodies the C kernels (depthwise convolution planes, sigmoid, SiLU, fused epilogues) run:
/// AVX2 with fused multiply-adds when the CPU has them, portable code otherwise. The two agree to
/// float rounding (fused against separate multiply-add), not bit for bit.
public enum CPUKernels {
    /// True when the AVX2/FMA bodies run.
    public static var usesAVX2: Bool { gl_uses_avx2() != 0 }
}
