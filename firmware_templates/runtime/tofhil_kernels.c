/*
 * tofhil runtime: int8 kernels with TFLite's integer semantics.
 * Part of the tofhil int8 runtime, copied into every exported model library by
 * `python -m training export` - do not edit.
 *
 * Written from the semantics of TFLite's reference kernels
 * (reference_integer_ops::ConvPerChannel, DepthwiseConvPerChannel,
 * FullyConnected with float scales, MaxPool, AveragePool, AddElementwise, reference_ops::Softmax)
 * and gemmlowp's fixed-point arithmetic. Right shifts of negative values are
 * arithmetic, as on every compiler this runtime targets (GCC, Clang, armcc).
 */
#include "tofhil_kernels.h"

#include <string.h>

#define TOFHIL_INT32_MIN_ (-2147483647 - 1)
#define TOFHIL_INT32_MAX_ 2147483647

static int32_t clamp_s32(int32_t value, int32_t lo, int32_t hi)
{
    return value < lo ? lo : (value > hi ? hi : value);
}

/* Not inlined: its ~15 call sites (softmax, add, requantize) would cost ~120 B of flash for a few instructions each. */
TOFHIL_NOINLINE int32_t tofhil_saturating_rounding_doubling_high_mul(int32_t a, int32_t b)
{
    int64_t product;
    int64_t nudged;
    if (a == b && a == TOFHIL_INT32_MIN_) {
        return TOFHIL_INT32_MAX_;
    }
    product = (int64_t)a * (int64_t)b;
    nudged = product + (product >= 0 ? ((int64_t)1 << 30) : (1 - ((int64_t)1 << 30)));
    /* division by 2^31 truncating toward zero, without a 64-bit divide */
    return (int32_t)(nudged >= 0 ? (nudged >> 31) : -((-nudged) >> 31));
}

int32_t tofhil_rounding_divide_by_pot(int32_t x, int exponent)
{
    const int32_t mask = (int32_t)((((int64_t)1) << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

int32_t tofhil_multiply_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift)
{
    const int left_shift = shift > 0 ? shift : 0;
    const int right_shift = shift > 0 ? 0 : -shift;
    const int32_t shifted = (int32_t)((uint32_t)x << left_shift);
    return tofhil_rounding_divide_by_pot(
        tofhil_saturating_rounding_doubling_high_mul(shifted, multiplier), right_shift);
}

static int8_t requantize(int32_t acc, int32_t multiplier, int shift, int32_t output_offset,
                         int32_t act_min, int32_t act_max)
{
    acc = tofhil_multiply_by_quantized_multiplier(acc, multiplier, shift) + output_offset;
    return (int8_t)clamp_s32(acc, act_min, act_max);
}

void tofhil_conv2d_s8(const tofhil_conv_t *p, const int8_t *input, int8_t *output)
{
    int out_y, out_x, oc, ky, kx, ic;
    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int in_y0 = out_y * p->stride_h - p->pad_top;
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            const int in_x0 = out_x * p->stride_w - p->pad_left;
            for (oc = 0; oc < p->out_c; ++oc) {
                const int8_t *filter = p->filter + (int32_t)oc * p->k_h * p->k_w * p->in_c;
                int32_t acc = 0;
                for (ky = 0; ky < p->k_h; ++ky) {
                    const int in_y = in_y0 + ky;
                    if (in_y < 0 || in_y >= p->in_h) {
                        continue;
                    }
                    for (kx = 0; kx < p->k_w; ++kx) {
                        const int in_x = in_x0 + kx;
                        const int8_t *in_px;
                        const int8_t *f_px;
                        if (in_x < 0 || in_x >= p->in_w) {
                            continue;
                        }
                        in_px = input + ((int32_t)in_y * p->in_w + in_x) * p->in_c;
                        f_px = filter + ((int32_t)ky * p->k_w + kx) * p->in_c;
                        for (ic = 0; ic < p->in_c; ++ic) {
                            acc += (int32_t)f_px[ic] * ((int32_t)in_px[ic] + p->input_offset);
                        }
                    }
                }
                if (p->bias != NULL) {
                    acc += p->bias[oc];
                }
                *output++ = requantize(acc, p->multiplier[oc], p->shift[oc], p->output_offset,
                                       p->act_min, p->act_max);
            }
        }
    }
}

void tofhil_depthwise_conv2d_s8(const tofhil_conv_t *p, const int8_t *input, int8_t *output)
{
    int out_y, out_x, ic, m, ky, kx;
    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int in_y0 = out_y * p->stride_h - p->pad_top;
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            const int in_x0 = out_x * p->stride_w - p->pad_left;
            for (ic = 0; ic < p->in_c; ++ic) {
                for (m = 0; m < p->depth_multiplier; ++m) {
                    const int oc = m + ic * p->depth_multiplier;
                    int32_t acc = 0;
                    for (ky = 0; ky < p->k_h; ++ky) {
                        const int in_y = in_y0 + ky;
                        if (in_y < 0 || in_y >= p->in_h) {
                            continue;
                        }
                        for (kx = 0; kx < p->k_w; ++kx) {
                            const int in_x = in_x0 + kx;
                            int32_t in_val;
                            if (in_x < 0 || in_x >= p->in_w) {
                                continue;
                            }
                            in_val = input[((int32_t)in_y * p->in_w + in_x) * p->in_c + ic];
                            acc += (int32_t)p->filter[((int32_t)ky * p->k_w + kx) * p->out_c + oc] *
                                   (in_val + p->input_offset);
                        }
                    }
                    if (p->bias != NULL) {
                        acc += p->bias[oc];
                    }
                    output[((int32_t)out_y * p->out_w + out_x) * p->out_c + oc] =
                        requantize(acc, p->multiplier[oc], p->shift[oc], p->output_offset,
                                   p->act_min, p->act_max);
                }
            }
        }
    }
}

/*
 * (int32_t)round(acc * scale), half away from zero, given twice_scale = 2 * scale.
 * acc * twice_scale is exactly twice the double product (scaling by 2 is exact),
 * and round(v) = (trunc(2v) + 1) / 2 for v >= 0, so no double subtraction is
 * needed. |v| >= 2^30 saturates: after the output offset it clamps the same way.
 */
static int32_t round_scaled(int32_t acc, double twice_scale)
{
    const double twice = (double)acc * twice_scale;
    int32_t w;
    if (twice >= 2147483646.0) {
        return 1073741824;
    }
    if (twice <= -2147483646.0) {
        return -1073741824;
    }
    w = (int32_t)twice;
    return w >= 0 ? (w + 1) / 2 : -((1 - w) / 2);
}

void tofhil_fully_connected_s8(const tofhil_fully_connected_t *p, const int8_t *input, int8_t *output)
{
    int b, oc, d;
    for (b = 0; b < p->batches; ++b) {
        const int8_t *in_row = input + (int32_t)b * p->accum_depth;
        for (oc = 0; oc < p->out_depth; ++oc) {
            const int8_t *w_row = p->weights + (int32_t)oc * p->accum_depth;
            int32_t acc = 0;
            for (d = 0; d < p->accum_depth; ++d) {
                acc += ((int32_t)w_row[d] + p->filter_offset) * ((int32_t)in_row[d] + p->input_offset);
            }
            if (p->bias != NULL) {
                acc += p->bias[oc];
            }
            acc = round_scaled(acc, p->twice_effective_scale[oc]) + p->output_offset;
            *output++ = (int8_t)clamp_s32(acc, p->act_min, p->act_max);
        }
    }
}

/* Shared window walk of both pools: is_max selects max, else rounded average. */
static void pool_s8(const tofhil_pool_t *p, const int8_t *input, int8_t *output, int is_max)
{
    int out_y, out_x, c, y, x;
    for (out_y = 0; out_y < p->out_h; ++out_y) {
        const int in_y0 = out_y * p->stride_h - p->pad_top;
        const int y_start = in_y0 < 0 ? -in_y0 : 0;
        const int y_end = (p->in_h - in_y0) < p->k_h ? (p->in_h - in_y0) : p->k_h;
        for (out_x = 0; out_x < p->out_w; ++out_x) {
            const int in_x0 = out_x * p->stride_w - p->pad_left;
            const int x_start = in_x0 < 0 ? -in_x0 : 0;
            const int x_end = (p->in_w - in_x0) < p->k_w ? (p->in_w - in_x0) : p->k_w;
            for (c = 0; c < p->channels; ++c) {
                int32_t acc = is_max ? -128 : 0;
                int32_t count = 0;
                for (y = y_start; y < y_end; ++y) {
                    for (x = x_start; x < x_end; ++x) {
                        const int32_t v =
                            input[((int32_t)(in_y0 + y) * p->in_w + (in_x0 + x)) * p->channels + c];
                        if (is_max) {
                            acc = v > acc ? v : acc;
                        } else {
                            acc += v;
                        }
                        ++count;
                    }
                }
                if (!is_max && count > 0) {
                    acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                }
                *output++ = (int8_t)clamp_s32(acc, p->act_min, p->act_max);
            }
        }
    }
}

void tofhil_max_pool2d_s8(const tofhil_pool_t *p, const int8_t *input, int8_t *output)
{
    pool_s8(p, input, output, 1);
}

void tofhil_avg_pool2d_s8(const tofhil_pool_t *p, const int8_t *input, int8_t *output)
{
    pool_s8(p, input, output, 0);
}

/* gemmlowp SaturatingRoundingMultiplyByPOT with a positive exponent. */
static int32_t saturating_shift_left(int32_t x, int exponent)
{
    const int32_t threshold = (int32_t)((1u << (31 - exponent)) - 1u);
    if (x > threshold) {
        return TOFHIL_INT32_MAX_;
    }
    if (x < -threshold) {
        return TOFHIL_INT32_MIN_;
    }
    return (int32_t)((uint32_t)x << exponent);
}

/* exp(a) for a in [-1/4, 0), a and result in Q0.31. */
static int32_t exp_on_interval_quarter(int32_t a)
{
    const int32_t constant_term = 1895147668;      /* exp(-1/8) */
    const int32_t constant_1_over_3 = 715827883;
    const int32_t x = a + (1 << 28);               /* a + 1/8 */
    const int32_t x2 = tofhil_saturating_rounding_doubling_high_mul(x, x);
    const int32_t x3 = tofhil_saturating_rounding_doubling_high_mul(x2, x);
    const int32_t x4 = tofhil_saturating_rounding_doubling_high_mul(x2, x2);
    const int32_t x4_over_4 = tofhil_rounding_divide_by_pot(x4, 2);
    const int32_t poly = tofhil_rounding_divide_by_pot(
        tofhil_saturating_rounding_doubling_high_mul(x4_over_4 + x3, constant_1_over_3) + x2, 1);
    return constant_term + tofhil_saturating_rounding_doubling_high_mul(constant_term, x + poly);
}

/* exp(a) for a <= 0 given in Q5.26; result in Q0.31. */
static int32_t exp_on_negative_values(int32_t a)
{
    static const int32_t multipliers[7] = {
        1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242,
    };
    const int32_t one_quarter = 1 << 24;
    const int32_t a_mod_quarter_minus_quarter = (a & (one_quarter - 1)) - one_quarter;
    const int32_t remainder = a_mod_quarter_minus_quarter - a;
    int32_t result = exp_on_interval_quarter(saturating_shift_left(a_mod_quarter_minus_quarter, 5));
    uint32_t bits = ((uint32_t)remainder >> 24) & 0x7Fu;   /* which of exp(-1/4 * 2^k), k = 0..6, apply */
    while (bits != 0u) {
        /* the set bits only, lowest first: the same products in the same order as gemmlowp's */
#if defined(__GNUC__)
        const int k = __builtin_ctz(bits);   /* RBIT + CLZ on the M4 */
#else
        int k = 0;
        while (((bits >> k) & 1u) == 0u) {
            ++k;
        }
#endif
        result = tofhil_saturating_rounding_doubling_high_mul(result, multipliers[k]);
        bits &= bits - 1u;
    }
    return a == 0 ? TOFHIL_INT32_MAX_ : result;
}

static int32_t rounding_half_sum(int32_t a, int32_t b)
{
    const int64_t sum = (int64_t)a + (int64_t)b;
    return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* 1 / (1 + a) for a in [0, 1) in Q0.31 (Newton-Raphson, as gemmlowp). */
static int32_t one_over_one_plus_x(int32_t a)
{
    const int32_t half_denominator = rounding_half_sum(a, TOFHIL_INT32_MAX_);
    int32_t x = 1515870810 + tofhil_saturating_rounding_doubling_high_mul(half_denominator, -1010580540);
    int i;
    for (i = 0; i < 3; ++i) {
        const int32_t half_denominator_times_x = tofhil_saturating_rounding_doubling_high_mul(half_denominator, x);
        const int32_t one_minus = (1 << 29) - half_denominator_times_x;
        x = x + saturating_shift_left(tofhil_saturating_rounding_doubling_high_mul(x, one_minus), 2);
    }
    return saturating_shift_left(x, 1);
}

static int count_leading_zeros(uint32_t x)
{
    int n = 0;
    if (x == 0u) {
        return 32;
    }
#if defined(__GNUC__)
    return __builtin_clz(x);   /* one CLZ on the M4 */
#endif
    while ((x & 0x80000000u) == 0u) {
        x <<= 1;
        ++n;
    }
    return n;
}

int32_t tofhil_softmax_exp(int32_t diff, int32_t input_multiplier, int32_t input_left_shift)
{
    const int32_t rescaled = tofhil_saturating_rounding_doubling_high_mul(
        (int32_t)((uint32_t)diff << input_left_shift), input_multiplier);
    /* exp(0) is exactly what exp_on_negative_values returns for 0: the row's maximum costs nothing */
    return rescaled == 0 ? TOFHIL_INT32_MAX_ : exp_on_negative_values(rescaled);
}

void tofhil_softmax_outputs(const int32_t *exps, int depth, int8_t *out)
{
    int32_t sum_of_exps = 0;   /* Q12.19 */
    int headroom_plus_one, num_bits_over_unit, c;
    int32_t shifted_scale;
    for (c = 0; c < depth; ++c) {
        sum_of_exps += tofhil_rounding_divide_by_pot(exps[c], 12);
    }
    headroom_plus_one = count_leading_zeros((uint32_t)sum_of_exps);
    num_bits_over_unit = 12 - headroom_plus_one;
    shifted_scale = one_over_one_plus_x(
        (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - (1u << 31)));
    for (c = 0; c < depth; ++c) {
        int32_t value = -128;
        if (exps[c] > 0) {
            value = tofhil_rounding_divide_by_pot(
                        tofhil_saturating_rounding_doubling_high_mul(shifted_scale, exps[c]),
                        num_bits_over_unit + 31 - 8) - 128;
        }
        out[c] = (int8_t)clamp_s32(value, -128, 127);
    }
}

void tofhil_softmax_s8(const tofhil_softmax_t *p, const int8_t *input, int8_t *output)
{
    int row, c;
    for (row = 0; row < p->rows; ++row) {
        const int8_t *in = input + (int32_t)row * p->depth;
        int32_t max_in_row = -128;
        for (c = 0; c < p->depth; ++c) {
            max_in_row = in[c] > max_in_row ? in[c] : max_in_row;
        }
        for (c = 0; c < p->depth; ++c) {
            const int32_t diff = (int32_t)in[c] - max_in_row;
            /* exp is positive; 0 marks an element below diff_min, which TFLite skips */
            p->exps[c] = diff >= p->diff_min ? tofhil_softmax_exp(diff, p->input_multiplier, p->input_left_shift) : 0;
        }
        tofhil_softmax_outputs(p->exps, p->depth, output + (int32_t)row * p->depth);
    }
}

void tofhil_add_s8(const tofhil_add_t *p, const int8_t *input1, const int8_t *input2, int8_t *output)
{
    uint32_t i;
    for (i = 0; i < p->size; ++i) {
        const int32_t shifted1 = (int32_t)((uint32_t)(p->input1_offset + input1[i]) << p->left_shift);
        const int32_t shifted2 = (int32_t)((uint32_t)(p->input2_offset + input2[i]) << p->left_shift);
        const int32_t scaled1 = tofhil_multiply_by_quantized_multiplier(shifted1, p->input1_multiplier, p->input1_shift);
        const int32_t scaled2 = tofhil_multiply_by_quantized_multiplier(shifted2, p->input2_multiplier, p->input2_shift);
        output[i] = requantize(scaled1 + scaled2, p->output_multiplier, p->output_shift, p->output_offset,
                               p->act_min, p->act_max);
    }
}

void tofhil_copy_s8(const int8_t *input, int8_t *output, uint32_t size)
{
    if (input != output) {
        memmove(output, input, size);
    }
}

/* std::round for float: half away from zero, exact for every float. */
static float round_half_away(float x)
{
    float t;
    float frac;
    if (!(x > -8388608.0f && x < 8388608.0f)) {
        return x;   /* already integral (|x| >= 2^23), or NaN */
    }
    t = (float)(int32_t)x;
    frac = x - t;
    if (frac >= 0.5f) {
        t += 1.0f;
    } else if (frac <= -0.5f) {
        t -= 1.0f;
    }
    return t;
}

void tofhil_quantize_f32_s8(const float *input, int8_t *output, uint32_t size, float scale, int32_t zero_point)
{
    uint32_t i;
    for (i = 0; i < size; ++i) {
        float value = round_half_away(input[i] / scale) + (float)zero_point;
        value = value < -128.0f ? -128.0f : (value > 127.0f ? 127.0f : value);
        output[i] = (int8_t)value;
    }
}

void tofhil_dequantize_s8_f32(const int8_t *input, float *output, uint32_t size, double scale, int32_t zero_point)
{
    uint32_t i;
    for (i = 0; i < size; ++i) {
        output[i] = (float)(scale * (double)((int32_t)input[i] - zero_point));
    }
}
