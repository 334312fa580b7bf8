// Hot inner loops of the GeoLens tensor engine that need instructions the package's baseline
// x86-64 build cannot emit (AVX2, FMA; AVX-512 for the Winograd F(4x4) transforms in winograd.c).
// Each function checks the CPU once and runs either a vector body or a portable C body; both
// follow the same arithmetic (a polynomial exponential, taps accumulated in order, the same
// transform additions), so results agree to rounding across machines (the Winograd transforms:
// to the bit).
#ifndef GEOLENS_KERNELS_H
#define GEOLENS_KERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Activations applied in place by `gl_bias_activation`.
typedef enum {
    GL_ACTIVATION_IDENTITY = 0,
    GL_ACTIVATION_RELU = 1,
    GL_ACTIVATION_SILU = 2,
    GL_ACTIVATION_SIGMOID = 3,
} gl_activation;

/// 1 when the AVX2/FMA bodies run on this CPU, 0 for the portable ones.
int gl_uses_avx2(void);

/// y[i] = 1 / (1 + exp(-x[i])); `y` may equal `x`.
void gl_sigmoid(const float *x, float *y, size_t count);

/// y[i] = x[i] / (1 + exp(-x[i])); `y` may equal `x`.
void gl_silu(const float *x, float *y, size_t count);

/// row[i] = activation(row[i] + bias) for i < count.
void gl_bias_activation(float *row, size_t count, float bias, gl_activation activation);

/// y[i] = x[i] * scale for i < count; `y` may equal `x`.
void gl_scale(const float *x, float scale, float *y, size_t count);

/// y = softmax(x) over one row of `count` values (the maximum subtracted first); `y` may equal `x`.
void gl_softmax_row(const float *x, float *y, size_t count);

/// y[i] = x[i] * Phi(x[i]), the exact GELU with erf by Abramowitz and Stegun 7.1.26 (absolute
/// error below 1.5e-7); `y` may equal `x`.
void gl_gelu(const float *x, float *y, size_t count);

/// One output plane of a depthwise convolution read from a zero-padded input plane of row pitch
/// `pitch` (every tap of every output lies inside it, and for stride 1 the rows are readable up to
/// the next multiple of 8 outputs; the buffer has 16 readable floats past its end for stride 2).
/// Taps are accumulated in kernel order, row by row.
void gl_depthwise_plane(const float *padded, size_t pitch, const float *weight, int kernel_h, int kernel_w,
                        int dilation_y, int dilation_x, int stride_y, int stride_x,
                        float *out, int out_h, int out_w);

/// The zero-padded copy of one `in_h x in_w` plane that `gl_depthwise_plane` reads: `height` rows
/// of `width` floats, input row `r` at row `r + pad_top` from column `pad_left` (as much of it as
/// fits), zeros elsewhere, and 16 zero floats after the last row. `dst` must hold
/// `width * height + 16` floats.
void gl_pad_plane(const float *src, int in_h, int in_w, int pad_top, int pad_left, float *dst, int width, int height);

/// The sum of `count` floats, accumulated in double in 16 interleaved lanes added in a fixed
/// order (the same bits from the AVX2 and the portable body).
double gl_sum(const float *x, size_t count);

/// One row of a nearest upsampling by an integer factor: `dst[i * factor + k] = src[i]`.
void gl_repeat_row(const float *src, float *dst, size_t in_w, int factor);

/// 1 when the AVX-512 bodies of the Winograd transforms run on this CPU.
int gl_uses_avx512(void);

/// Winograd F(4x4, 3x3) input transform of the tile rows [first_tile_row, first_tile_row + tile_rows)
/// (all `tiles_x` tile columns) of one image [channels, in_h, in_w]: V[k][c][t] = (Bᵀ d B)[k] of the
/// zero-padded 6 x 6 input tile d whose top-left input is (4 ty - pad_top, 4 tx - pad_left), with
/// t = (ty - first_tile_row) * tiles_x + tx and k = 6 * row + column; position k starts at v + k * stride
/// (stride >= channels * tiles).
void gl_winograd_f4x4_input(const float *image, int channels, int in_h, int in_w, int pad_top, int pad_left,
                            int first_tile_row, int tile_rows, int tiles_x, float *v, size_t stride);

/// Winograd F(4x4, 3x3) output transform: Aᵀ M A of the products m [36][channels][tiles] (tiles as for
/// the input transform, position k at m + k * stride), plus bias[c] when `bias` is not NULL, then max(0, .) when `relu` is not 0,
/// written into `channels` planes of `out` (`plane` floats apart, out_h x out_w each, clipped at their edges).
void gl_winograd_f4x4_output(const float *m, size_t stride, int channels, int first_tile_row, int tile_rows,
                             int tiles_x, const float *bias, int relu, float *out, size_t plane, int out_h, int out_w);

/// The portable bodies, callable directly so tests can compare them with the dispatched ones.
void gl_sigmoid_portable(const float *x, float *y, size_t count);
void gl_silu_portable(const float *x, float *y, size_t count);
void gl_softmax_row_portable(const float *x, float *y, size_t count);
void gl_gelu_portable(const float *x, float *y, size_t count);
void gl_pad_plane_portable(const float *src, int in_h, int in_w, int pad_top, int pad_left, float *dst, int width, int height);
double gl_sum_portable(const float *x, size_t count);
void gl_depthwise_plane_portable(const float *padded, size_t pitch, const float *weight, int kernel_h, int kernel_w,
                                 int dilation_y, int dilation_x, int stride_y, int stride_x,
                                 float *out, int out_h, int out_w);

void gl_winograd_f4x4_input_portable(const float *image, int channels, int in_h, int in_w, int pad_top, int pad_left,
                                     int first_tile_row, int tile_rows, int tiles_x, float *v, size_t stride);
void gl_winograd_f4x4_output_portable(const float *m, size_t stride, int channels, int first_tile_row, int tile_rows,
                                      int tiles_x, const float *bias, int relu, float *out, size_t plane, int out_h,
                                      int out_w);

#ifdef __cplusplus
}
#endif

#endif
