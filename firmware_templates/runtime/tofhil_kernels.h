/*
 * tofhil runtime: int8 kernels with TFLite's integer semantics.
 * Part of the tofhil int8 runtime, copied into every exported model library by
 * `python -m training export` - do not edit.
 *
 * Every kernel reproduces the TFLite reference kernel (BUILTIN_REF) bit for bit:
 * per-channel multipliers and shifts (MultiplyByQuantizedMultiplier with double
 * rounding), the double-precision requantization of fully connected layers,
 * saturation, fused activation ranges and gemmlowp's fixed-point softmax. Tensors are NHWC with batch 1. All parameters are precomputed by the
 * exporter and live in flash; the kernels allocate nothing.
 */
#ifndef TOFHIL_KERNELS_H
#define TOFHIL_KERNELS_H

#include <stdint.h>

/* CONV_2D and DEPTHWISE_CONV_2D (filter OHWI for conv, 1HWC for depthwise). */
typedef struct {
    const int8_t *filter;
    const int32_t *bias;        /* NULL when the op has no bias */
    const int32_t *multiplier;  /* one per output channel */
    const int8_t *shift;        /* one per output channel, TFLite sign convention */
    uint16_t in_h, in_w, in_c;
    uint16_t out_h, out_w, out_c;
    uint8_t k_h, k_w, stride_h, stride_w;
    uint8_t pad_top, pad_left, depth_multiplier;
    int16_t input_offset;       /* -input zero point */
    int16_t output_offset;      /* output zero point */
    int8_t act_min, act_max;
} tofhil_conv_t;

/*
 * FULLY_CONNECTED (weights [out_depth][accum_depth]). TFLite's reference kernel
 * requantizes in double: round(acc * (in_scale * filter_scale / out_scale)),
 * so the per-channel scale is kept as a double, not a fixed-point multiplier.
 */
typedef struct {
    const int8_t *weights;
    const int32_t *bias;
    const double *twice_effective_scale;  /* 2 * in_scale * filter_scale / out_scale, per channel */
    uint16_t batches, accum_depth, out_depth;
    int16_t input_offset, filter_offset, output_offset;
    int8_t act_min, act_max;
} tofhil_fully_connected_t;

/* MAX_POOL_2D and AVERAGE_POOL_2D. */
typedef struct {
    uint16_t in_h, in_w, channels, out_h, out_w;
    uint8_t k_h, k_w, stride_h, stride_w, pad_top, pad_left;
    int8_t act_min, act_max;
} tofhil_pool_t;

/* SOFTMAX over the last dimension (gemmlowp fixed-point path). */
typedef struct {
    uint16_t rows, depth;
    int32_t input_multiplier;
    int32_t input_left_shift;
    int32_t diff_min;
} tofhil_softmax_t;

/* ADD of two tensors of the same shape. */
typedef struct {
    uint32_t size;
    int32_t input1_offset, input2_offset, output_offset;
    int32_t input1_multiplier, input2_multiplier, output_multiplier;
    int8_t input1_shift, input2_shift, output_shift, left_shift;
    int8_t act_min, act_max;
} tofhil_add_t;

/* Fixed-point primitives, exported for the host tests. */
int32_t tofhil_saturating_rounding_doubling_high_mul(int32_t a, int32_t b);
int32_t tofhil_rounding_divide_by_pot(int32_t x, int exponent);
int32_t tofhil_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift);

void tofhil_conv2d_s8(const tofhil_conv_t *p, const int8_t *input, int8_t *output);
void tofhil_depthwise_conv2d_s8(const tofhil_conv_t *p, const int8_t *input, int8_t *output);
void tofhil_fully_connected_s8(const tofhil_fully_connected_t *p, const int8_t *input, int8_t *output);
void tofhil_max_pool2d_s8(const tofhil_pool_t *p, const int8_t *input, int8_t *output);
void tofhil_avg_pool2d_s8(const tofhil_pool_t *p, const int8_t *input, int8_t *output);
void tofhil_softmax_s8(const tofhil_softmax_t *p, const int8_t *input, int8_t *output);
void tofhil_add_s8(const tofhil_add_t *p, const int8_t *input1, const int8_t *input2, int8_t *output);
void tofhil_copy_s8(const int8_t *input, int8_t *output, uint32_t size);

/* QUANTIZE float32 -> int8 and DEQUANTIZE int8 -> float32 (float-I/O models). */
void tofhil_quantize_f32_s8(const float *input, int8_t *output, uint32_t size, float scale, int32_t zero_point);
void tofhil_dequantize_s8_f32(const int8_t *input, float *output, uint32_t size, double scale, int32_t zero_point);

#endif /* TOFHIL_KERNELS_H */
