// AVX2/FMA and portable bodies of the kernels declared in geolens_kernels.h.
#include "geolens_kernels.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define GL_X86 1
#define GL_AVX2 __attribute__((target("avx2,fma")))
#else
#define GL_X86 0
#endif

// MARK: - CPU dispatch

static int gl_avx2_state = -1;

int gl_uses_avx2(void) {
#if GL_X86
    if (gl_avx2_state < 0) {
        __builtin_cpu_init();
        gl_avx2_state = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return gl_avx2_state;
#else
    return 0;
#endif
}

#if GL_X86
#define GL_AVX512 __attribute__((target("avx512f,avx2,fma")))
static int gl_avx512_state = -1;

/// 1 when the CPU has AVX-512F (and the AVX2/FMA kernels run): the activation maps and the
/// Winograd transforms (winograd.c) then take 16 lanes at a time.
int gl_uses_avx512(void) {
    if (gl_avx512_state < 0) {
        __builtin_cpu_init();
        gl_avx512_state = gl_uses_avx2() && __builtin_cpu_supports("avx512f");
    }
    return gl_avx512_state;
}
#else
int gl_uses_avx512(void) { return 0; }
#endif

// MARK: - Exponential (Cephes expf polynomial, the same as FastExponential.swift)

static const float gl_log2e = 1.44269504088896341f;
static const float gl_ln2_high = 0.693359375f;
static const float gl_ln2_low = -2.12194440e-4f;
static const float gl_exp_lowest = -87.336544f;
static const float gl_rounding_bias = 12582912.0f;

/// exp(x) for x <= 0 (and NaN, returned as is).
static inline float gl_exp_nonpositive(float x) {
    if (isnan(x)) return x;
    if (x < gl_exp_lowest) return 0;
    float clamped = x < 0 ? x : 0;
    float shifted = clamped * gl_log2e + gl_rounding_bias;
    float n = shifted - gl_rounding_bias;
    int32_t shifted_bits, bias_bits;
    memcpy(&shifted_bits, &shifted, 4);
    memcpy(&bias_bits, &gl_rounding_bias, 4);
    int32_t exponent = shifted_bits - bias_bits;
    float r = clamped - n * gl_ln2_high - n * gl_ln2_low;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float polynomial = p * r * r + r + 1;
    uint32_t scale_bits = (uint32_t)(exponent + 127) << 23;
    float scale;
    memcpy(&scale, &scale_bits, 4);
    return polynomial * scale;
}

static inline float gl_sigmoid1(float x) {
    float e = gl_exp_nonpositive(-fabsf(x));
    float s = 1 / (1 + e);
    return x >= 0 ? s : e * s;
}

static inline float gl_activate1(float v, gl_activation a) {
    switch (a) {
    case GL_ACTIVATION_RELU: return v > 0 ? v : 0;
    case GL_ACTIVATION_SILU: return v * gl_sigmoid1(v);
    case GL_ACTIVATION_SIGMOID: return gl_sigmoid1(v);
    default: return v;
    }
}

// MARK: - GELU (erf by Abramowitz and Stegun 7.1.26, as FastErf.swift)

static const float gl_erf_p = 0.3275911f;
static const float gl_erf_a1 = 0.254829592f, gl_erf_a2 = -0.284496736f, gl_erf_a3 = 1.421413741f;
static const float gl_erf_a4 = -1.453152027f, gl_erf_a5 = 1.061405429f;
static const float gl_sqrt_half = 0.70710678118654752f;

static inline float gl_gelu1(float x) {
    float z = x * gl_sqrt_half, a = fabsf(z);
    float t = 1 / (1 + gl_erf_p * a);
    float poly = ((((gl_erf_a5 * t + gl_erf_a4) * t + gl_erf_a3) * t + gl_erf_a2) * t + gl_erf_a1) * t;
    float e = 1 - poly * gl_exp_nonpositive(-a * a);
    return 0.5f * x * (1 + (z < 0 ? -e : e));
}

#if GL_X86
GL_AVX2 static inline __m256 gl_exp_nonpositive8(__m256 x) {
    const __m256 lowest = _mm256_set1_ps(gl_exp_lowest);
    const __m256 bias = _mm256_set1_ps(gl_rounding_bias);
    // max_ps returns its second operand for NaN, so NaN lanes compute with `lowest`; restored below.
    __m256 clamped = _mm256_min_ps(_mm256_max_ps(x, lowest), _mm256_setzero_ps());
    __m256 shifted = _mm256_fmadd_ps(clamped, _mm256_set1_ps(gl_log2e), bias);
    __m256 n = _mm256_sub_ps(shifted, bias);
    __m256i exponent = _mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_castps_si256(bias));
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(gl_ln2_high), clamped);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(gl_ln2_low), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    __m256 polynomial = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1)));
    __m256 scale = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(exponent, _mm256_set1_epi32(127)), 23));
    __m256 value = _mm256_mul_ps(polynomial, scale);
    value = _mm256_andnot_ps(_mm256_cmp_ps(x, lowest, _CMP_LT_OQ), value);
    return _mm256_blendv_ps(value, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}

GL_AVX2 static inline __m256 gl_sigmoid8(__m256 x) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 e = gl_exp_nonpositive8(_mm256_or_ps(x, sign));
    // 1 / (1 + e) by the reciprocal estimate and one Newton step (about 1 ulp from the division,
    // at a fraction of its cost); 1 + e lies in [1, 2], where the estimate is well behaved.
    __m256 denominator = _mm256_add_ps(_mm256_set1_ps(1), e);
    __m256 r = _mm256_rcp_ps(denominator);
    __m256 s = _mm256_mul_ps(r, _mm256_fnmadd_ps(denominator, r, _mm256_set1_ps(2)));
    return _mm256_blendv_ps(_mm256_mul_ps(e, s), s, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ));
}

GL_AVX2 static inline __m256 gl_activate8(__m256 v, gl_activation a) {
    switch (a) {
    case GL_ACTIVATION_RELU: return _mm256_max_ps(v, _mm256_setzero_ps());
    case GL_ACTIVATION_SILU: return _mm256_mul_ps(v, gl_sigmoid8(v));
    case GL_ACTIVATION_SIGMOID: return gl_sigmoid8(v);
    default: return v;
    }
}

/// Lanes [0, count) set, for masked loads and stores of a partial vector (count < 8).
GL_AVX2 static inline __m256i gl_mask8(size_t count) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)count), lanes);
}

GL_AVX2 static void gl_bias_activation_avx2(float *row, size_t count, float bias, gl_activation a) {
    const __m256 b = _mm256_set1_ps(bias);
    size_t i = 0;
    for (; i + 8 <= count; i += 8) {
        _mm256_storeu_ps(row + i, gl_activate8(_mm256_add_ps(_mm256_loadu_ps(row + i), b), a));
    }
    if (i < count) {
        __m256i mask = gl_mask8(count - i);
        __m256 v = _mm256_add_ps(_mm256_maskload_ps(row + i, mask), b);
        _mm256_maskstore_ps(row + i, mask, gl_activate8(v, a));
    }
}

GL_AVX2 static void gl_map_avx2(const float *x, float *y, size_t count, gl_activation a) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(y + i, gl_activate8(_mm256_loadu_ps(x + i), a));
    if (i < count) {
        __m256i mask = gl_mask8(count - i);
        _mm256_maskstore_ps(y + i, mask, gl_activate8(_mm256_maskload_ps(x + i, mask), a));
    }
}

GL_AVX2 static void gl_scale_avx2(const float *x, float scale, float *y, size_t count) {
    const __m256 s = _mm256_set1_ps(scale);
    size_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), s));
    for (; i < count; i++) y[i] = x[i] * scale;
}

GL_AVX2 static inline __m256 gl_gelu8(__m256 x) {
    const __m256 one = _mm256_set1_ps(1);
    __m256 z = _mm256_mul_ps(x, _mm256_set1_ps(gl_sqrt_half));
    __m256 a = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), z);
    __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(_mm256_set1_ps(gl_erf_p), a, one));
    __m256 poly = _mm256_fmadd_ps(_mm256_set1_ps(gl_erf_a5), t, _mm256_set1_ps(gl_erf_a4));
    poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(gl_erf_a3));
    poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(gl_erf_a2));
    poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(gl_erf_a1));
    poly = _mm256_mul_ps(poly, t);
    __m256 e = _mm256_fnmadd_ps(poly, gl_exp_nonpositive8(_mm256_sub_ps(_mm256_setzero_ps(), _mm256_mul_ps(a, a))), one);
    // erf is odd: give e the sign of z.
    e = _mm256_or_ps(e, _mm256_and_ps(z, _mm256_set1_ps(-0.0f)));
    return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), _mm256_add_ps(one, e));
}

GL_AVX2 static void gl_gelu_avx2(const float *x, float *y, size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(y + i, gl_gelu8(_mm256_loadu_ps(x + i)));
    if (i < count) {
        __m256i mask = gl_mask8(count - i);
        _mm256_maskstore_ps(y + i, mask, gl_gelu8(_mm256_maskload_ps(x + i, mask)));
    }
}

GL_AVX2 static void gl_softmax_row_avx2(const float *x, float *y, size_t count) {
    size_t i = 0;
    __m256 m8 = _mm256_set1_ps(-INFINITY);
    for (; i + 8 <= count; i += 8) m8 = _mm256_max_ps(m8, _mm256_loadu_ps(x + i));
    float lanes[8];
    _mm256_storeu_ps(lanes, m8);
    float maximum = -INFINITY;
    for (int k = 0; k < 8; k++) maximum = lanes[k] > maximum ? lanes[k] : maximum;
    for (; i < count; i++) maximum = x[i] > maximum ? x[i] : maximum;
    const __m256 mv = _mm256_set1_ps(maximum);
    __m256 s8 = _mm256_setzero_ps();
    i = 0;
    for (; i + 8 <= count; i += 8) {
        __m256 e = gl_exp_nonpositive8(_mm256_sub_ps(_mm256_loadu_ps(x + i), mv));
        s8 = _mm256_add_ps(s8, e);
        _mm256_storeu_ps(y + i, e);
    }
    _mm256_storeu_ps(lanes, s8);
    float sum = 0;
    for (int k = 0; k < 8; k++) sum += lanes[k];
    for (; i < count; i++) { y[i] = gl_exp_nonpositive(x[i] - maximum); sum += y[i]; }
    gl_scale_avx2(y, 1 / sum, y, count);
}

/// 8 consecutive inputs (S = 1) or the even lanes of 16 (S = 2), in order: for stride 2, shuffle
/// within 128-bit halves, then permute the halves.
GL_AVX2 static inline __attribute__((always_inline)) __m256 gl_load_strided8(const float *p, const int S) {
    if (S == 1) return _mm256_loadu_ps(p);
    __m256 low = _mm256_loadu_ps(p), high = _mm256_loadu_ps(p + 8);
    return _mm256_castpd_ps(_mm256_permute4x64_pd(
        _mm256_castps_pd(_mm256_shuffle_ps(low, high, _MM_SHUFFLE(2, 0, 2, 0))), _MM_SHUFFLE(3, 1, 2, 0)));
}

/// A tile of `R` output rows x `V` vectors of 8 outputs at row stride `S`: R * V independent
/// accumulator chains, so the FMA latency is hidden even on narrow planes. Stride 1 reads up to
/// the vector-rounded width, which the caller's padded plane provides; stride 2 reads up to 16
/// floats past the last row (the caller's slack). Outputs past `out_w` are not stored. R, V and S
/// are compile-time constants at every call.
GL_AVX2 static inline __attribute__((always_inline)) void gl_depthwise_tile(
    const float *top, size_t row_step, size_t pitch, const float *w, int kh, int kw, int dy, int dx,
    float *dst, int out_w, int ox, const int R, const int V, const int S) {
    __m256 acc[4][4];
    for (int r = 0; r < R; r++)
        for (int v = 0; v < V; v++) acc[r][v] = _mm256_setzero_ps();
    for (int ky = 0; ky < kh; ky++) {
        const float *rows = top + (size_t)ky * dy * pitch + S * ox;
        for (int kx = 0; kx < kw; kx++) {
            const __m256 tap = _mm256_broadcast_ss(w + ky * kw + kx);
            const float *p = rows + kx * dx;
            for (int r = 0; r < R; r++)
                for (int v = 0; v < V; v++)
                    acc[r][v] = _mm256_fmadd_ps(tap, gl_load_strided8(p + r * row_step + 8 * S * v, S), acc[r][v]);
        }
    }
    for (int r = 0; r < R; r++) {
        float *line = dst + (size_t)r * out_w + ox;
        for (int v = 0; v < V; v++) {
            int left = out_w - ox - 8 * v;
            if (left >= 8) _mm256_storeu_ps(line + 8 * v, acc[r][v]);
            else _mm256_maskstore_ps(line + 8 * v, gl_mask8((size_t)left), acc[r][v]);
        }
    }
}

/// One band of `R` output rows. Stride 1: tiles of 4 (bands of at most 2 rows), 2 or 1 vectors.
/// Stride 2: tiles of 1 vector.
GL_AVX2 static inline __attribute__((always_inline)) void gl_depthwise_band(
    const float *top, size_t row_step, size_t pitch, const float *w, int kh, int kw, int dy, int dx,
    float *dst, int out_w, const int R, const int S) {
    int ox = 0;
    if (S == 1) {
        if (R <= 2) {
            for (; ox + 32 <= out_w; ox += 32) gl_depthwise_tile(top, row_step, pitch, w, kh, kw, dy, dx, dst, out_w, ox, R, 4, 1);
        }
        for (; out_w - ox > 8; ox += 16) gl_depthwise_tile(top, row_step, pitch, w, kh, kw, dy, dx, dst, out_w, ox, R, 2, 1);
    }
    for (; ox < out_w; ox += 8) gl_depthwise_tile(top, row_step, pitch, w, kh, kw, dy, dx, dst, out_w, ox, R, 1, S);
}

GL_AVX2 static void gl_depthwise_plane_avx2(const float *padded, size_t pitch, const float *w, int kh, int kw,
                                            int dy, int dx, int sy, int sx, float *out, int out_h, int out_w) {
    const size_t row_step = (size_t)sy * pitch;
    int oy = 0;
    if (sx == 1 && out_w >= 32) {
        // Wide rows: bands of two rows of four vectors.
        for (; oy + 2 <= out_h; oy += 2)
            gl_depthwise_band(padded + oy * row_step, row_step, pitch, w, kh, kw, dy, dx, out + (size_t)oy * out_w, out_w, 2, 1);
    } else if (sx == 1) {
        // Narrow rows: bands of four rows of two or one vectors.
        for (; oy + 4 <= out_h; oy += 4)
            gl_depthwise_band(padded + oy * row_step, row_step, pitch, w, kh, kw, dy, dx, out + (size_t)oy * out_w, out_w, 4, 1);
    } else if (sx == 2) {
        for (; oy + 4 <= out_h; oy += 4)
            gl_depthwise_band(padded + oy * row_step, row_step, pitch, w, kh, kw, dy, dx, out + (size_t)oy * out_w, out_w, 4, 2);
    }
    if (sx == 1 || sx == 2) {
        // The rows left over from the bands, one at a time.
        for (; oy < out_h; oy++) {
            const float *top = padded + oy * row_step;
            float *dst = out + (size_t)oy * out_w;
            if (sx == 1) gl_depthwise_band(top, row_step, pitch, w, kh, kw, dy, dx, dst, out_w, 1, 1);
            else gl_depthwise_band(top, row_step, pitch, w, kh, kw, dy, dx, dst, out_w, 1, 2);
        }
        return;
    }
    // Other strides: one output at a time.
    for (; oy < out_h; oy++) {
        float *dst = out + (size_t)oy * out_w;
        const float *top = padded + oy * row_step;
        for (int ox = 0; ox < out_w; ox++) {
            const float *corner = top + (size_t)ox * sx;
            float total = 0;
            for (int ky = 0; ky < kh; ky++) {
                const float *row = corner + (size_t)ky * dy * pitch;
                for (int kx = 0; kx < kw; kx++) total = fmaf(w[ky * kw + kx], row[kx * dx], total);
            }
            dst[ox] = total;
        }
    }
}


/// Zeros `count` floats from `dst` in whole vectors (writes up to 7 floats past `count`).
GL_AVX2 static inline void gl_zero_rounded(float *dst, size_t count) {
    const __m256 zero = _mm256_setzero_ps();
    for (size_t i = 0; i < count; i += 8) _mm256_storeu_ps(dst + i, zero);
}

/// Copies `count` floats, the last partial vector with masked loads and stores (reads nothing
/// past `src + count`, writes nothing past `dst + count`).
GL_AVX2 static inline void gl_copy_floats(float *dst, const float *src, size_t count) {
    size_t i = 0;
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(dst + i, _mm256_loadu_ps(src + i));
    if (i < count) {
        __m256i mask = gl_mask8(count - i);
        _mm256_maskstore_ps(dst + i, mask, _mm256_maskload_ps(src + i, mask));
    }
}

GL_AVX2 static void gl_pad_plane_avx2(const float *src, int in_h, int in_w, int pad_top, int pad_left,
                                      float *dst, int width, int height) {
    int copied = width - pad_left < in_w ? width - pad_left : in_w;
    if (copied < 0) copied = 0;
    // Rows in increasing order: a row's rounded-up zeroing spills into the next row, which is
    // written after it, and past the last row into the slack, zeroed last. Rows with input zero
    // only their left and right margins (the left margin's rounding is overwritten by the copy).
    int right = pad_left + copied;
    for (int row = 0; row < height; row++) {
        float *line = dst + (size_t)row * width;
        int iy = row - pad_top;
        if (iy >= 0 && iy < in_h && copied > 0) {
            gl_zero_rounded(line, (size_t)pad_left);
            gl_copy_floats(line + pad_left, src + (size_t)iy * in_w, (size_t)copied);
            gl_zero_rounded(line + right, (size_t)(width - right));
        } else {
            gl_zero_rounded(line, (size_t)width);
        }
    }
    gl_zero_rounded(dst + (size_t)width * height, 16);
}

/// The sum of `count` floats in double precision: lane `i % 16` accumulates element `i`, then the
/// lanes add in a fixed tree (`gl_sum_portable` follows the same order, so both give the same bits).
GL_AVX2 static double gl_sum_avx2(const float *x, size_t count) {
    __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd(), a2 = _mm256_setzero_pd(), a3 = _mm256_setzero_pd();
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        __m256 low = _mm256_loadu_ps(x + i), high = _mm256_loadu_ps(x + i + 8);
        a0 = _mm256_add_pd(a0, _mm256_cvtps_pd(_mm256_castps256_ps128(low)));
        a1 = _mm256_add_pd(a1, _mm256_cvtps_pd(_mm256_extractf128_ps(low, 1)));
        a2 = _mm256_add_pd(a2, _mm256_cvtps_pd(_mm256_castps256_ps128(high)));
        a3 = _mm256_add_pd(a3, _mm256_cvtps_pd(_mm256_extractf128_ps(high, 1)));
    }
    double lanes[16];
    _mm256_storeu_pd(lanes, a0);
    _mm256_storeu_pd(lanes + 4, a1);
    _mm256_storeu_pd(lanes + 8, a2);
    _mm256_storeu_pd(lanes + 12, a3);
    for (int width = 8; width >= 1; width /= 2)
        for (int k = 0; k < width; k++) lanes[k] += lanes[k + width];
    double total = lanes[0];
    for (; i < count; i++) total += (double)x[i];
    return total;
}

/// One row of an integer-factor nearest upsampling: each input value `factor` times.
GL_AVX2 static void gl_repeat_row_avx2(const float *src, float *dst, size_t in_w, int factor) {
    size_t i = 0;
    if (factor == 2) {
        for (; i + 8 <= in_w; i += 8) {
            __m256 v = _mm256_loadu_ps(src + i);
            __m256 low = _mm256_unpacklo_ps(v, v), high = _mm256_unpackhi_ps(v, v);
            _mm256_storeu_ps(dst + 2 * i, _mm256_permute2f128_ps(low, high, 0x20));
            _mm256_storeu_ps(dst + 2 * i + 8, _mm256_permute2f128_ps(low, high, 0x31));
        }
    }
    for (; i < in_w; i++)
        for (int k = 0; k < factor; k++) dst[i * factor + k] = src[i];
}

// MARK: - AVX-512 activations (the AVX2 arithmetic on 16 lanes; the reciprocal estimate is
// rcp14 instead of rcp, so results can differ from the AVX2 body in the last bit)

GL_AVX512 static inline __m512 gl_exp_nonpositive16(__m512 x) {
    const __m512 lowest = _mm512_set1_ps(gl_exp_lowest);
    const __m512 bias = _mm512_set1_ps(gl_rounding_bias);
    __m512 clamped = _mm512_min_ps(_mm512_max_ps(x, lowest), _mm512_setzero_ps());
    __m512 shifted = _mm512_fmadd_ps(clamped, _mm512_set1_ps(gl_log2e), bias);
    __m512 n = _mm512_sub_ps(shifted, bias);
    __m512i exponent = _mm512_sub_epi32(_mm512_castps_si512(shifted), _mm512_castps_si512(bias));
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(gl_ln2_high), clamped);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(gl_ln2_low), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    __m512 polynomial = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1)));
    __m512 scale = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(exponent, _mm512_set1_epi32(127)), 23));
    __m512 value = _mm512_mul_ps(polynomial, scale);
    value = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, lowest, _CMP_NLT_UQ), value);
    return _mm512_mask_mov_ps(value, _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), x);
}

GL_AVX512 static inline __m512 gl_sigmoid16(__m512 x) {
    __m512 negative = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(x), _mm512_set1_epi32((int)0x80000000u)));
    __m512 e = gl_exp_nonpositive16(negative);
    __m512 denominator = _mm512_add_ps(_mm512_set1_ps(1), e);
    __m512 r = _mm512_rcp14_ps(denominator);
    __m512 s = _mm512_mul_ps(r, _mm512_fnmadd_ps(denominator, r, _mm512_set1_ps(2)));
    return _mm512_mask_mov_ps(_mm512_mul_ps(e, s), _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ), s);
}

GL_AVX512 static inline __m512 gl_activate16(__m512 v, gl_activation a) {
    switch (a) {
    case GL_ACTIVATION_RELU: return _mm512_max_ps(v, _mm512_setzero_ps());
    case GL_ACTIVATION_SILU: return _mm512_mul_ps(v, gl_sigmoid16(v));
    case GL_ACTIVATION_SIGMOID: return gl_sigmoid16(v);
    default: return v;
    }
}

GL_AVX512 static void gl_bias_activation_avx512(float *row, size_t count, float bias, gl_activation a) {
    const __m512 b = _mm512_set1_ps(bias);
    size_t i = 0;
    for (; i + 16 <= count; i += 16) _mm512_storeu_ps(row + i, gl_activate16(_mm512_add_ps(_mm512_loadu_ps(row + i), b), a));
    if (i < count) {
        __mmask16 mask = (__mmask16)((1u << (count - i)) - 1);
        _mm512_mask_storeu_ps(row + i, mask, gl_activate16(_mm512_add_ps(_mm512_maskz_loadu_ps(mask, row + i), b), a));
    }
}

GL_AVX512 static void gl_map_avx512(const float *x, float *y, size_t count, gl_activation a) {
    size_t i = 0;
    for (; i + 16 <= count; i += 16) _mm512_storeu_ps(y + i, gl_activate16(_mm512_loadu_ps(x + i), a));
    if (i < count) {
        __mmask16 mask = (__mmask16)((1u << (count - i)) - 1);
        _mm512_mask_storeu_ps(y + i, mask, gl_activate16(_mm512_maskz_loadu_ps(mask, x + i), a));
    }
}
#endif

// MARK: - Portable bodies

void gl_sigmoid_portable(const float *x, float *y, size_t count) {
    for (size_t i = 0; i < count; i++) y[i] = gl_sigmoid1(x[i]);
}

void gl_silu_portable(const float *x, float *y, size_t count) {
    for (size_t i = 0; i < count; i++) y[i] = x[i] * gl_sigmoid1(x[i]);
}

void gl_softmax_row_portable(const float *x, float *y, size_t count) {
    float maximum = -INFINITY, sum = 0;
    for (size_t i = 0; i < count; i++) maximum = x[i] > maximum ? x[i] : maximum;
    for (size_t i = 0; i < count; i++) { y[i] = gl_exp_nonpositive(x[i] - maximum); sum += y[i]; }
    float scale = 1 / sum;
    for (size_t i = 0; i < count; i++) y[i] *= scale;
}

void gl_gelu_portable(const float *x, float *y, size_t count) {
    for (size_t i = 0; i < count; i++) y[i] = gl_gelu1(x[i]);
}

void gl_depthwise_plane_portable(const float *padded, size_t pitch, const float *w, int kh, int kw,
                                 int dy, int dx, int sy, int sx, float *out, int out_h, int out_w) {
    for (int oy = 0; oy < out_h; oy++) {
        const float *top = padded + (size_t)oy * sy * pitch;
        for (int ox = 0; ox < out_w; ox++) {
            const float *corner = top + (size_t)ox * sx;
            float total = 0;
            for (int ky = 0; ky < kh; ky++) {
                const float *row = corner + (size_t)ky * dy * pitch;
                for (int kx = 0; kx < kw; kx++) total += w[ky * kw + kx] * row[kx * dx];
            }
            out[(size_t)oy * out_w + ox] = total;
        }
    }
}

void gl_pad_plane_portable(const float *src, int in_h, int in_w, int pad_top, int pad_left,
                           float *dst, int width, int height) {
    int copied = width - pad_left < in_w ? width - pad_left : in_w;
    if (copied < 0) copied = 0;
    for (int row = 0; row < height; row++) {
        float *line = dst + (size_t)row * width;
        memset(line, 0, (size_t)width * sizeof(float));
        int iy = row - pad_top;
        if (iy >= 0 && iy < in_h && copied > 0) memcpy(line + pad_left, src + (size_t)iy * in_w, (size_t)copied * sizeof(float));
    }
    memset(dst + (size_t)width * height, 0, 16 * sizeof(float));
}

double gl_sum_portable(const float *x, size_t count) {
    double lanes[16] = {0};
    size_t i = 0;
    for (; i + 16 <= count; i += 16)
        for (int k = 0; k < 16; k++) lanes[k] += (double)x[i + k];
    for (int width = 8; width >= 1; width /= 2)
        for (int k = 0; k < width; k++) lanes[k] += lanes[k + width];
    double total = lanes[0];
    for (; i < count; i++) total += (double)x[i];
    return total;
}

// MARK: - Public entry points

void gl_bias_activation(float *row, size_t count, float bias, gl_activation activation) {
#if GL_X86
    if (gl_uses_avx512()) { gl_bias_activation_avx512(row, count, bias, activation); return; }
    if (gl_uses_avx2()) { gl_bias_activation_avx2(row, count, bias, activation); return; }
#endif
    for (size_t i = 0; i < count; i++) row[i] = gl_activate1(row[i] + bias, activation);
}

void gl_sigmoid(const float *x, float *y, size_t count) {
#if GL_X86
    if (gl_uses_avx512()) { gl_map_avx512(x, y, count, GL_ACTIVATION_SIGMOID); return; }
    if (gl_uses_avx2()) { gl_map_avx2(x, y, count, GL_ACTIVATION_SIGMOID); return; }
#endif
    gl_sigmoid_portable(x, y, count);
}

void gl_silu(const float *x, float *y, size_t count) {
#if GL_X86
    if (gl_uses_avx512()) { gl_map_avx512(x, y, count, GL_ACTIVATION_SILU); return; }
    if (gl_uses_avx2()) { gl_map_avx2(x, y, count, GL_ACTIVATION_SILU); return; }
#endif
    gl_silu_portable(x, y, count);
}

void gl_softmax_row(const float *x, float *y, size_t count) {
#if GL_X86
    if (gl_uses_avx2()) { gl_softmax_row_avx2(x, y, count); return; }
#endif
    gl_softmax_row_portable(x, y, count);
}

void gl_gelu(const float *x, float *y, size_t count) {
#if GL_X86
    if (gl_uses_avx2()) { gl_gelu_avx2(x, y, count); return; }
#endif
    gl_gelu_portable(x, y, count);
}

void gl_scale(const float *x, float scale, float *y, size_t count) {
#if GL_X86
    if (gl_uses_avx2()) { gl_scale_avx2(x, scale, y, count); return; }
#endif
    for (size_t i = 0; i < count; i++) y[i] = x[i] * scale;
}

void gl_depthwise_plane(const float *padded, size_t pitch, const float *w, int kh, int kw,
                        int dy, int dx, int sy, int sx, float *out, int out_h, int out_w) {
#if GL_X86
    if (gl_uses_avx2()) { gl_depthwise_plane_avx2(padded, pitch, w, kh, kw, dy, dx, sy, sx, out, out_h, out_w); return; }
#endif
    gl_depthwise_plane_portable(padded, pitch, w, kh, kw, dy, dx, sy, sx, out, out_h, out_w);
}

void gl_pad_plane(const float *src, int in_h, int in_w, int pad_top, int pad_left, float *dst, int width, int height) {
#if GL_X86
    if (gl_uses_avx2()) { gl_pad_plane_avx2(src, in_h, in_w, pad_top, pad_left, dst, width, height); return; }
#endif
    gl_pad_plane_portable(src, in_h, in_w, pad_top, pad_left, dst, width, height);
}

double gl_sum(const float *x, size_t count) {
#if GL_X86
    if (gl_uses_avx2()) return gl_sum_avx2(x, count);
#endif
    return gl_sum_portable(x, count);
}

void gl_repeat_row(const float *src, float *dst, size_t in_w, int factor) {
#if GL_X86
    if (gl_uses_avx2()) { gl_repeat_row_avx2(src, dst, in_w, factor); return; }
#endif
    for (size_t i = 0; i < in_w; i++)
        for (int k = 0; k < factor; k++) dst[i * factor + k] = src[i];
}
