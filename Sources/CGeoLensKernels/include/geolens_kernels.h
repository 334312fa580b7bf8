// Hot inner loops of the GeoLens tensor engine that need instructions the package's baseline
// x86-64 build cannot emit (AVX2, FMA). Each function checks the CPU once and runs either an
// AVX2/FMA body or a portable C body; both follow the same arithmetic (a polynomial exponential,
// taps accumulated in order), so results agree to rounding across machines.
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

#ifdef __cplusplus
}
#endif

#endif
