// Input and output transforms of Winograd F(4x4, 3x3) (declared in geolens_kernels.h).
//
// Both run along whole tile rows: the six input rows of a tile row are combined first (contiguous
// runs, one vector per 16 columns), then the columns of each 6 x 6 tile, 16 tiles per vector (AVX-512:
// the columns 4t + j of 16 tiles are gathered from 64 consecutive floats with two-source permutes;
// the output's columns are interleaved back the same way). The portable bodies do the same
// additions and multiplications in the same order, so both give the same bits.
#include "geolens_kernels.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define GL_WINOGRAD_X86 1
#define GL_AVX512 __attribute__((target("avx512f")))
#else
#define GL_WINOGRAD_X86 0
#endif

// gl_uses_avx512 (kernels.c) says whether the AVX-512 bodies run.

// Bᵀ d for one column d0..d5 of a 6 x 6 input tile (interpolation points 0, ±1, ±2, ∞).
#define GL_BT(d0, d1, d2, d3, d4, d5, ADD, SUB, SCALE, r0, r1, r2, r3, r4, r5) do { \
    r0 = ADD(SUB(d4, d2), SCALE(4, SUB(d0, d2)));  \
    r1 = SUB(ADD(d3, d4), SCALE(4, ADD(d1, d2)));  \
    r2 = ADD(SUB(d4, d3), SCALE(4, SUB(d1, d2)));  \
    r3 = ADD(SUB(d4, d2), SCALE(2, SUB(d3, d1)));  \
    r4 = SUB(SUB(d4, d2), SCALE(2, SUB(d3, d1)));  \
    r5 = ADD(SUB(d5, d3), SCALE(4, SUB(d1, d3)));  \
} while (0)

// Aᵀ m for one column m0..m5 of a 6 x 6 product tile.
#define GL_AT(m0, m1, m2, m3, m4, m5, ADD, SUB, SCALE, y0, y1, y2, y3) do { \
    y0 = ADD(ADD(m0, ADD(m1, m2)), ADD(m3, m4));            \
    y1 = ADD(SUB(m1, m2), SCALE(2, SUB(m3, m4)));           \
    y2 = ADD(ADD(m1, m2), SCALE(4, ADD(m3, m4)));           \
    y3 = ADD(ADD(SUB(m1, m2), SCALE(8, SUB(m3, m4))), m5);  \
} while (0)

#define GL_SADD(a, b) ((a) + (b))
#define GL_SSUB(a, b) ((a) - (b))
#define GL_SSCALE(k, a) ((float)(k) * (a))

/// The six zero-padded input rows of tile row `ty` of one channel plane, `pitch` floats each and
/// `line_stride` floats apart (column j holds input x = j - pad_left; `pitch` is at least 4 * tiles_x + 2).
static void gl_load_rows(const float *plane, int in_h, int in_w, int pad_top, int pad_left, int ty,
                         float *rows, size_t pitch, size_t line_stride) {
    int low = pad_left < 0 ? 0 : pad_left;
    if ((size_t)low > pitch) low = (int)pitch;
    long high_long = (long)pad_left + in_w;
    size_t high = high_long < low ? (size_t)low : (size_t)high_long > pitch ? pitch : (size_t)high_long;
    int top = 4 * ty - pad_top;
    for (int r = 0; r < 6; r++) {
        float *line = rows + r * line_stride;
        int y = top + r;
        if (y < 0 || y >= in_h) { memset(line, 0, pitch * sizeof(float)); continue; }
        memset(line, 0, (size_t)low * sizeof(float));
        memcpy(line + low, plane + (size_t)y * in_w + (low - pad_left), (high - low) * sizeof(float));
        memset(line + high, 0, (pitch - high) * sizeof(float));
    }
}

/// Rows of Bᵀ d: e[r][j] for the six loaded rows, columns [0, count).
static void gl_combine_rows_portable(const float *d, float *e, size_t pitch, size_t count) {
    for (size_t j = 0; j < count; j++) {
        float r0, r1, r2, r3, r4, r5;
        GL_BT(d[j], d[pitch + j], d[2 * pitch + j], d[3 * pitch + j], d[4 * pitch + j], d[5 * pitch + j],
              GL_SADD, GL_SSUB, GL_SSCALE, r0, r1, r2, r3, r4, r5);
        e[j] = r0; e[pitch + j] = r1; e[2 * pitch + j] = r2;
        e[3 * pitch + j] = r3; e[4 * pitch + j] = r4; e[5 * pitch + j] = r5;
    }
}

void gl_winograd_f4x4_input_portable(const float *image, int channels, int in_h, int in_w, int pad_top, int pad_left,
                                     int first_tile_row, int tile_rows, int tiles_x, float *v, size_t stride) {
    size_t tiles = (size_t)tile_rows * tiles_x;
    size_t pitch = 4 * (size_t)tiles_x + 2;
    float *d = malloc(12 * pitch * sizeof(float)), *e = d + 6 * pitch;
    for (int c = 0; c < channels; c++) {
        const float *plane = image + (size_t)c * in_h * in_w;
        for (int row = 0; row < tile_rows; row++) {
            gl_load_rows(plane, in_h, in_w, pad_top, pad_left, first_tile_row + row, d, pitch, pitch);
            gl_combine_rows_portable(d, e, pitch, pitch);
            float *out = v + (size_t)c * tiles + (size_t)row * tiles_x;
            for (int r = 0; r < 6; r++) {
                const float *line = e + r * pitch;
                float *o = out + (size_t)(6 * r) * stride;
                for (int t = 0; t < tiles_x; t++) {
                    const float *b = line + 4 * t;
                    float h0, h1, h2, h3, h4, h5;
                    GL_BT(b[0], b[1], b[2], b[3], b[4], b[5], GL_SADD, GL_SSUB, GL_SSCALE, h0, h1, h2, h3, h4, h5);
                    o[t] = h0; o[stride + t] = h1; o[2 * stride + t] = h2;
                    o[3 * stride + t] = h3; o[4 * stride + t] = h4; o[5 * stride + t] = h5;
                }
            }
        }
    }
    free(d);
}

void gl_winograd_f4x4_output_portable(const float *m, size_t stride, int channels, int first_tile_row, int tile_rows,
                                      int tiles_x, const float *bias, int relu, float *out, size_t plane, int out_h,
                                      int out_w) {
    size_t tiles = (size_t)tile_rows * tiles_x;
    for (int o = 0; o < channels; o++) {
        float shift = bias ? bias[o] : 0;
        float *dst = out + (size_t)o * plane;
        for (int row = 0; row < tile_rows; row++) {
            const float *p = m + (size_t)o * tiles + (size_t)row * tiles_x;
            int ty = first_tile_row + row;
            for (int t = 0; t < tiles_x; t++) {
                float z[4][6];
                for (int c = 0; c < 6; c++) {
                    const float *q = p + t + (size_t)c * stride;
                    GL_AT(q[0], q[6 * stride], q[12 * stride], q[18 * stride], q[24 * stride], q[30 * stride],
                          GL_SADD, GL_SSUB, GL_SSCALE, z[0][c], z[1][c], z[2][c], z[3][c]);
                }
                for (int i = 0; i < 4 && 4 * ty + i < out_h; i++) {
                    float y[4];
                    GL_AT(z[i][0], z[i][1], z[i][2], z[i][3], z[i][4], z[i][5], GL_SADD, GL_SSUB, GL_SSCALE,
                          y[0], y[1], y[2], y[3]);
                    float *line = dst + (size_t)(4 * ty + i) * out_w + 4 * t;
                    for (int j = 0; j < 4 && 4 * t + j < out_w; j++) {
                        float value = y[j] + shift;
                        line[j] = relu ? (value > 0 ? value : 0) : value;
                    }
                }
            }
        }
    }
}

#if GL_WINOGRAD_X86

#define GL_VADD(a, b) _mm512_add_ps(a, b)
#define GL_VSUB(a, b) _mm512_sub_ps(a, b)
#define GL_VSCALE(k, a) _mm512_mul_ps(_mm512_set1_ps((float)(k)), a)

GL_AVX512 static inline __mmask16 gl_mask16(int count) {
    return count >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << count) - 1);
}

/// Columns j and j + 1 of 16 tiles (4 floats apart) starting at `p`: 64 floats read.
GL_AVX512 static inline void gl_columns16(const float *p, __m512i pick, __m512 *low, __m512 *high) {
    __m512 a = _mm512_permutex2var_ps(_mm512_loadu_ps(p), pick, _mm512_loadu_ps(p + 16));
    __m512 b = _mm512_permutex2var_ps(_mm512_loadu_ps(p + 32), pick, _mm512_loadu_ps(p + 48));
    *low = _mm512_shuffle_f32x4(a, b, 0x44);
    *high = _mm512_shuffle_f32x4(a, b, 0xEE);
}

GL_AVX512 static void gl_winograd_f4x4_input_avx512(const float *image, int channels, int in_h, int in_w, int pad_top,
                                                    int pad_left, int first_tile_row, int tile_rows, int tiles_x,
                                                    float *v, size_t stride) {
    size_t tiles = (size_t)tile_rows * tiles_x;
    // The input rows of every tile row of the unit side by side, `pitch` = 4 (tiles_x + 1) floats
    // each: tile (row, tx) starts at 4 (row (tiles_x + 1) + tx), so the unit is one run of
    // "virtual" tiles, one per row unused, and narrow maps still fill whole vectors.
    size_t pitch = 4 * (size_t)tiles_x + 4, virtual_tiles = (size_t)tile_rows * (tiles_x + 1);
    size_t chunks = (virtual_tiles + 15) / 16, length = 64 * chunks + 32;
    float *e = aligned_alloc(64, 6 * length * sizeof(float));
    memset(e, 0, 6 * length * sizeof(float));
    // Per vector of a row: the lanes that hold input columns (j - pad_left in [0, in_w), j < pitch);
    // the others load as zeros (the padding). Masked-off lanes never touch memory.
    size_t row_vectors = (pitch + 15) / 16;
    __mmask16 *inside = malloc(row_vectors * sizeof(__mmask16));
    for (size_t k = 0; k < row_vectors; k++) {
        unsigned bits = 0;
        for (unsigned lane = 0; lane < 16; lane++) {
            long j = (long)(16 * k + lane), x = j - pad_left;
            if (j < (long)pitch && x >= 0 && x < in_w) bits |= 1u << lane;
        }
        inside[k] = (__mmask16)bits;
    }
    // Per chunk of 16 virtual tiles: the lanes that are real tiles, and how many.
    __mmask16 *keep = malloc(chunks * sizeof(__mmask16));
    for (size_t k = 0; k < chunks; k++) {
        unsigned bits = 0;
        for (unsigned lane = 0; lane < 16; lane++) {
            size_t t = 16 * k + lane;
            if (t < virtual_tiles && t % (tiles_x + 1) != (size_t)tiles_x) bits |= 1u << lane;
        }
        keep[k] = (__mmask16)bits;
    }
    // Lanes 0-7: column j of tiles 0-7 (indices 4t + j of a 32-float pair); lanes 8-15: column j + 1.
    const __m512i pick01 = _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 1, 5, 9, 13, 17, 21, 25, 29);
    const __m512i pick23 = _mm512_setr_epi32(2, 6, 10, 14, 18, 22, 26, 30, 3, 7, 11, 15, 19, 23, 27, 31);
    for (int c = 0; c < channels; c++) {
        const float *plane = image + (size_t)c * in_h * in_w;
        // Bᵀ d straight from the input rows into the side-by-side layout (one pass: no padded copy).
        // A vector may run past its row into the next row's first columns, which that row then
        // overwrites; past the last row it lands in the slack.
        for (int row = 0; row < tile_rows; row++) {
            int top = 4 * (first_tile_row + row) - pad_top;
            const float *lines[6];
            for (int r = 0; r < 6; r++) {
                int y = top + r;
                lines[r] = y >= 0 && y < in_h ? plane + (size_t)y * in_w - pad_left : NULL;
            }
            float *target = e + (size_t)row * pitch;
            for (size_t k = 0; k < row_vectors; k++) {
                __mmask16 mask = inside[k];
                __m512 d[6];
                for (int r = 0; r < 6; r++) {
                    d[r] = lines[r] ? _mm512_maskz_loadu_ps(mask, lines[r] + 16 * k) : _mm512_setzero_ps();
                }
                __m512 r0, r1, r2, r3, r4, r5;
                GL_BT(d[0], d[1], d[2], d[3], d[4], d[5], GL_VADD, GL_VSUB, GL_VSCALE, r0, r1, r2, r3, r4, r5);
                float *at = target + 16 * k;
                _mm512_storeu_ps(at, r0); _mm512_storeu_ps(at + length, r1);
                _mm512_storeu_ps(at + 2 * length, r2); _mm512_storeu_ps(at + 3 * length, r3);
                _mm512_storeu_ps(at + 4 * length, r4); _mm512_storeu_ps(at + 5 * length, r5);
            }
        }
        float *out = v + (size_t)c * tiles;
        for (int r = 0; r < 6; r++) {
            const float *line = e + r * length;
            float *o = out + (size_t)(6 * r) * stride;
            size_t at = 0;
            for (size_t k = 0; k < chunks; k++) {
                const float *b = line + 64 * k;
                __m512 b0, b1, b2, b3, b4, b5;
                gl_columns16(b, pick01, &b0, &b1);
                gl_columns16(b, pick23, &b2, &b3);
                gl_columns16(b + 4, pick01, &b4, &b5);
                __m512 h0, h1, h2, h3, h4, h5;
                GL_BT(b0, b1, b2, b3, b4, b5, GL_VADD, GL_VSUB, GL_VSCALE, h0, h1, h2, h3, h4, h5);
                __mmask16 mask = keep[k];
                int count = __builtin_popcount(mask);
                __mmask16 first = gl_mask16(count);
                _mm512_mask_storeu_ps(o + at, first, _mm512_maskz_compress_ps(mask, h0));
                _mm512_mask_storeu_ps(o + stride + at, first, _mm512_maskz_compress_ps(mask, h1));
                _mm512_mask_storeu_ps(o + 2 * stride + at, first, _mm512_maskz_compress_ps(mask, h2));
                _mm512_mask_storeu_ps(o + 3 * stride + at, first, _mm512_maskz_compress_ps(mask, h3));
                _mm512_mask_storeu_ps(o + 4 * stride + at, first, _mm512_maskz_compress_ps(mask, h4));
                _mm512_mask_storeu_ps(o + 5 * stride + at, first, _mm512_maskz_compress_ps(mask, h5));
                at += (size_t)count;
            }
        }
    }
    free(keep);
    free(inside);
    free(e);
}

/// Stores 4 values per tile (y0..y3 for 16 tiles) as 64 consecutive floats y0[0] y1[0] y2[0] y3[0] y0[1] ...,
/// after `shift` and an optional ReLU, the first `count` only.
GL_AVX512 static inline void gl_store_interleaved(float *line, __m512 y0, __m512 y1, __m512 y2, __m512 y3,
                                                  __m512 shift, int relu, int count) {
    __m512 t0 = _mm512_unpacklo_ps(y0, y1), t1 = _mm512_unpackhi_ps(y0, y1);
    __m512 t2 = _mm512_unpacklo_ps(y2, y3), t3 = _mm512_unpackhi_ps(y2, y3);
    __m512 u0 = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t0), _mm512_castps_pd(t2)));
    __m512 u1 = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t0), _mm512_castps_pd(t2)));
    __m512 u2 = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t1), _mm512_castps_pd(t3)));
    __m512 u3 = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t1), _mm512_castps_pd(t3)));
    __m512 v0 = _mm512_shuffle_f32x4(u0, u1, 0x44), v1 = _mm512_shuffle_f32x4(u2, u3, 0x44);
    __m512 v2 = _mm512_shuffle_f32x4(u0, u1, 0xEE), v3 = _mm512_shuffle_f32x4(u2, u3, 0xEE);
    __m512 o[4] = {_mm512_shuffle_f32x4(v0, v1, 0x88), _mm512_shuffle_f32x4(v0, v1, 0xDD),
                   _mm512_shuffle_f32x4(v2, v3, 0x88), _mm512_shuffle_f32x4(v2, v3, 0xDD)};
    for (int k = 0; k < 4 && 16 * k < count; k++) {
        __m512 value = _mm512_add_ps(o[k], shift);
        if (relu) value = _mm512_max_ps(value, _mm512_setzero_ps());
        _mm512_mask_storeu_ps(line + 16 * k, gl_mask16(count - 16 * k), value);
    }
}

GL_AVX512 static void gl_winograd_f4x4_output_avx512(const float *m, size_t stride, int channels, int first_tile_row,
                                                     int tile_rows, int tiles_x, const float *bias, int relu,
                                                     float *out, size_t plane, int out_h, int out_w) {
    size_t tiles = (size_t)tile_rows * tiles_x;
    for (int o = 0; o < channels; o++) {
        __m512 shift = _mm512_set1_ps(bias ? bias[o] : 0);
        float *dst = out + (size_t)o * plane;
        for (int row = 0; row < tile_rows; row++) {
            const float *p = m + (size_t)o * tiles + (size_t)row * tiles_x;
            int ty = first_tile_row + row;
            for (int t = 0; t < tiles_x; t += 16) {
                __mmask16 mask = gl_mask16(tiles_x - t);
                __m512 z[4][6];
                for (int c = 0; c < 6; c++) {
                    const float *q = p + t + (size_t)c * stride;
                    GL_AT(_mm512_maskz_loadu_ps(mask, q), _mm512_maskz_loadu_ps(mask, q + 6 * stride),
                          _mm512_maskz_loadu_ps(mask, q + 12 * stride), _mm512_maskz_loadu_ps(mask, q + 18 * stride),
                          _mm512_maskz_loadu_ps(mask, q + 24 * stride), _mm512_maskz_loadu_ps(mask, q + 30 * stride),
                          GL_VADD, GL_VSUB, GL_VSCALE, z[0][c], z[1][c], z[2][c], z[3][c]);
                }
                int columns = out_w - 4 * t;
                if (columns > 64) columns = 64;
                for (int i = 0; i < 4 && 4 * ty + i < out_h; i++) {
                    __m512 y0, y1, y2, y3;
                    GL_AT(z[i][0], z[i][1], z[i][2], z[i][3], z[i][4], z[i][5], GL_VADD, GL_VSUB, GL_VSCALE,
                          y0, y1, y2, y3);
                    gl_store_interleaved(dst + (size_t)(4 * ty + i) * out_w + 4 * t, y0, y1, y2, y3, shift, relu, columns);
                }
            }
        }
    }
}

#endif

void gl_winograd_f4x4_input(const float *image, int channels, int in_h, int in_w, int pad_top, int pad_left,
                            int first_tile_row, int tile_rows, int tiles_x, float *v, size_t stride) {
#if GL_WINOGRAD_X86
    if (gl_uses_avx512()) {
        gl_winograd_f4x4_input_avx512(image, channels, in_h, in_w, pad_top, pad_left, first_tile_row, tile_rows, tiles_x,
                                      v, stride);
        return;
    }
#endif
    gl_winograd_f4x4_input_portable(image, channels, in_h, in_w, pad_top, pad_left, first_tile_row, tile_rows, tiles_x,
                                    v, stride);
}

void gl_winograd_f4x4_output(const float *m, size_t stride, int channels, int first_tile_row, int tile_rows,
                             int tiles_x, const float *bias, int relu, float *out, size_t plane, int out_h, int out_w) {
#if GL_WINOGRAD_X86
    if (gl_uses_avx512()) {
        gl_winograd_f4x4_output_avx512(m, stride, channels, first_tile_row, tile_rows, tiles_x, bias, relu, out, plane,
                                       out_h, out_w);
        return;
    }
#endif
    gl_winograd_f4x4_output_portable(m, stride, channels, first_tile_row, tile_rows, tiles_x, bias, relu, out, plane,
                                     out_h, out_w);
}
