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
#include <string.h>

#if defined(__ARM_FEATURE_DSP) && defined(__ARM_FEATURE_SIMD32)
#include <arm_acle.h>
#define TOFHIL_DSP 1
#else
#define TOFHIL_DSP 0
#endif

/* The generated constant arrays start on a word: the M4's LDRD (and clang's strict-alignment loads) need it. */
#if defined(__GNUC__)
#define TOFHIL_ALIGNED __attribute__((aligned(4)))
#else
#define TOFHIL_ALIGNED
#endif

/* Each generated op is its own function: inlined into one, the ops fight over registers. */
#if defined(__GNUC__)
#define TOFHIL_NOINLINE __attribute__((noinline))
#else
#define TOFHIL_NOINLINE
#endif

/*
 * The primitives below are a handful of instructions each and sit in the innermost loops: inlined in every
 * build (-Os would otherwise call them, ~2x slower), and their word copies through __builtin_memcpy, which
 * GCC and clang expand to one LDR/STR even under -ffreestanding or -fno-builtin (plain memcpy becomes a
 * real call there, ~7x slower). Both are GCC/clang extensions; other compilers get plain C99.
 */
#if defined(__GNUC__)
#define TOFHIL_INLINE static inline __attribute__((always_inline))
#define TOFHIL_WORD_COPY(dst, src) __builtin_memcpy((dst), (src), 4u)
#else
#define TOFHIL_INLINE static inline
#define TOFHIL_WORD_COPY(dst, src) memcpy((dst), (src), 4u)
#endif

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
    int32_t *exps;              /* scratch of `depth` values: each exp computed once */
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

/*
 * Inline primitives of the generated, shape-specialised code. On a core with the DSP
 * extension (Cortex-M4) they are single instructions (SMLAD, SXTB16, SADD16); elsewhere
 * portable C99 with the same results, so the host tests run the very same code path.
 * Packed words are read with a 4-byte copy (one LDR at any alignment on the M4, no aliasing
 * question); the byte order inside a word assumes a little-endian target, as every supported one is.
 */
#if TOFHIL_DSP && defined(__clang__) && !defined(__ARM_FEATURE_UNALIGNED)
/*
 * clang targeting arm-none-eabi assumes strict alignment unless given -munaligned-access, and splits each
 * word copy from a 2-byte-aligned pointer into two LDRH and an ORR (1.5x slower inference). The Cortex-M4 does
 * LDR/STR at any alignment, as GCC assumes by default: one instruction, with the bytes as a memory operand
 * (a struct of chars: any alignment, no aliasing question) so the compiler orders it with other accesses.
 */
typedef struct {
    unsigned char bytes[4];
} tofhil_word_bytes_t;

TOFHIL_INLINE uint32_t tofhil_load32(const void *p)
{
    uint32_t v;
    __asm__("ldr %0, %1" : "=r"(v) : "m"(*(const tofhil_word_bytes_t *)p));
    return v;
}

TOFHIL_INLINE void tofhil_store32(void *p, uint32_t v)
{
    __asm__("str %1, %0" : "=m"(*(tofhil_word_bytes_t *)p) : "r"(v));
}
#else
TOFHIL_INLINE uint32_t tofhil_load32(const void *p)
{
    uint32_t v;
    TOFHIL_WORD_COPY(&v, p);
    return v;
}

TOFHIL_INLINE void tofhil_store32(void *p, uint32_t v)
{
    TOFHIL_WORD_COPY(p, &v);
}
#endif

/* n bytes from src to dst (not overlapping), a word at a time: the library needs no memcpy of the C library
 * (about 300 bytes of flash with newlib-nano, and a call of its own under -ffreestanding) */
TOFHIL_INLINE void tofhil_copy_bytes(void *dst, const void *src, uint32_t n)
{
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    uint32_t i;
    for (i = 0; i + 4u <= n; i += 4u) {
        tofhil_store32(d + i, tofhil_load32(s + i));
    }
    for (; i < n; ++i) {
        d[i] = s[i];
    }
}

/* n zero bytes at dst, a word at a time (no memset call, as above) */
TOFHIL_INLINE void tofhil_zero_bytes(void *dst, uint32_t n)
{
    uint8_t *d = (uint8_t *)dst;
    uint32_t i;
    for (i = 0; i + 4u <= n; i += 4u) {
        tofhil_store32(d + i, 0u);
    }
    for (; i < n; ++i) {
        d[i] = 0u;
    }
}

/* acc + lo(a) * lo(b) + hi(a) * hi(b), 16-bit signed halves */
TOFHIL_INLINE int32_t tofhil_smlad(uint32_t a, uint32_t b, int32_t acc)
{
#if TOFHIL_DSP
    return __smlad((int16x2_t)a, (int16x2_t)b, acc);
#else
    const int32_t lo = (int32_t)(int16_t)(a & 0xFFFFu) * (int32_t)(int16_t)(b & 0xFFFFu);
    const int32_t hi = (int32_t)(int16_t)(a >> 16) * (int32_t)(int16_t)(b >> 16);
    return (int32_t)((uint32_t)acc + (uint32_t)lo + (uint32_t)hi);
#endif
}

/* bytes 0 and 2 of v, sign-extended into the low and high halves */
TOFHIL_INLINE uint32_t tofhil_sxtb16(uint32_t v)
{
#if TOFHIL_DSP
    return (uint32_t)__sxtb16((int8x4_t)v);
#else
    return ((uint32_t)(int32_t)(int8_t)(v & 0xFFu) & 0xFFFFu) | ((uint32_t)(int32_t)(int8_t)((v >> 16) & 0xFFu) << 16);
#endif
}

/* bytes 1 and 3 of v, sign-extended into the low and high halves */
TOFHIL_INLINE uint32_t tofhil_sxtb16_ror8(uint32_t v)
{
#if TOFHIL_DSP
    uint32_t r;
    /* one instruction: GCC does not fold the rotation of __sxtb16(__ror(v, 8)) */
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
#else
    return tofhil_sxtb16((v >> 8) | (v << 24));
#endif
}

#if TOFHIL_DSP
/* four int8 at src, plus offset2's halves, as four int16 at dst (in order) */
TOFHIL_INLINE void tofhil_expand4_s8_s16(const int8_t *src, int16_t *dst, uint32_t offset2)
{
    const uint32_t packed = tofhil_load32(src);
    const uint32_t even = (uint32_t)__sadd16((int16x2_t)tofhil_sxtb16(packed), (int16x2_t)offset2);
    const uint32_t odd = (uint32_t)__sadd16((int16x2_t)tofhil_sxtb16_ror8(packed), (int16x2_t)offset2);
    uint32_t low, high;
    /* PKHBT/PKHTB: one instruction per word for the halves (0, 1) and (2, 3) */
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(low) : "r"(even), "r"(odd));
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(high) : "r"(odd), "r"(even));
    tofhil_store32(dst, low);
    tofhil_store32(dst + 2, high);
}
#endif

/* dst[i] = src[i] + offset as int16 (activations minus their zero point), n elements */
TOFHIL_INLINE void tofhil_expand_s8_s16(const int8_t *src, int16_t *dst, int n, int32_t offset)
{
    int i = 0;
#if TOFHIL_DSP
    const uint32_t offset2 = ((uint32_t)offset & 0xFFFFu) * 0x10001u;
    for (; i <= n - 8; i += 8) {   /* eight per pass: half the loop overhead */
        tofhil_expand4_s8_s16(src + i, dst + i, offset2);
        tofhil_expand4_s8_s16(src + i + 4, dst + i + 4, offset2);
    }
    if (i <= n - 4) {
        tofhil_expand4_s8_s16(src + i, dst + i, offset2);
        i += 4;
    }
#endif
    /* the last ones (all of them without the DSP extension), counted from 0: a tail loop from i
     * trips GCC's -Waggressive-loop-optimizations on some constant n */
    src += i;
    dst += i;
    for (i = 0; i < (TOFHIL_DSP ? (n & 3) : n); ++i) {
        dst[i] = (int16_t)(src[i] + offset);
    }
}

/*
 * One step of two output channels (weights w0, w1) at two pixels (windows x0, x1): a pair of
 * int16 values each, acc[0] += w0.x0, acc[1] += w0.x1, acc[2] += w1.x0, acc[3] += w1.x1;
 * each loaded pair serves two SMLADs. The generated code unrolls the steps of a window.
 */
TOFHIL_INLINE void tofhil_mac2x2_s16(const int16_t *w0, const int16_t *w1, const int16_t *x0, const int16_t *x1,
                                     int32_t *acc)
{
    const uint32_t a = tofhil_load32(w0);
    const uint32_t b = tofhil_load32(w1);
    const uint32_t p = tofhil_load32(x0);
    const uint32_t q = tofhil_load32(x1);
    acc[0] = tofhil_smlad(a, p, acc[0]);
    acc[1] = tofhil_smlad(a, q, acc[1]);
    acc[2] = tofhil_smlad(b, p, acc[2]);
    acc[3] = tofhil_smlad(b, q, acc[3]);
}

/* the same for a single int16 value (the odd last one of a window row) */
TOFHIL_INLINE void tofhil_mac1x2x2_s16(const int16_t *w0, const int16_t *w1, const int16_t *x0, const int16_t *x1,
                                       int32_t *acc)
{
    acc[0] += (int32_t)*w0 * *x0;
    acc[1] += (int32_t)*w0 * *x1;
    acc[2] += (int32_t)*w1 * *x0;
    acc[3] += (int32_t)*w1 * *x1;
}

#if TOFHIL_DSP && defined(__OPTIMIZE__)
#define TOFHIL_CONV_ROW_ASM 1
#else
#define TOFHIL_CONV_ROW_ASM 0
#endif

#if TOFHIL_CONV_ROW_ASM
/* The body of tofhil_conv_row_k3x6_s16: the kernel row's three weight words, then 4 LDRD + 18 SMLAD. FIRST is the
 * instruction of each accumulator's first product: smuad (no accumulator to clear) or smlad. */
#define TOFHIL_CONV_ROW_K3X6_ASM(FIRST)                  \
    "ldr %[w0], [%[w]]\n\t"                              \
    "ldrd %[w1], %[w2], [%[w], #4]\n\t"                  \
    "ldrd %[p], %[q], [%[x]]\n\t"                        \
    #FIRST " %[a0], %[w0], %[p]" TOFHIL_ACC_##FIRST(a0) "\n\t"  \
    "smlad %[a0], %[w1], %[q], %[a0]\n\t"                \
    #FIRST " %[a1], %[w0], %[q]" TOFHIL_ACC_##FIRST(a1) "\n\t"  \
    "ldrd %[p], %[q], [%[x], #8]\n\t"                    \
    "smlad %[a0], %[w2], %[p], %[a0]\n\t"                \
    "smlad %[a1], %[w1], %[p], %[a1]\n\t"                \
    #FIRST " %[a2], %[w0], %[p]" TOFHIL_ACC_##FIRST(a2) "\n\t"  \
    "smlad %[a1], %[w2], %[q], %[a1]\n\t"                \
    "smlad %[a2], %[w1], %[q], %[a2]\n\t"                \
    #FIRST " %[a3], %[w0], %[q]" TOFHIL_ACC_##FIRST(a3) "\n\t"  \
    "ldrd %[p], %[q], [%[x], #16]\n\t"                   \
    "smlad %[a2], %[w2], %[p], %[a2]\n\t"                \
    "smlad %[a3], %[w1], %[p], %[a3]\n\t"                \
    #FIRST " %[a4], %[w0], %[p]" TOFHIL_ACC_##FIRST(a4) "\n\t"  \
    "smlad %[a3], %[w2], %[q], %[a3]\n\t"                \
    "smlad %[a4], %[w1], %[q], %[a4]\n\t"                \
    #FIRST " %[a5], %[w0], %[q]" TOFHIL_ACC_##FIRST(a5) "\n\t"  \
    "ldrd %[p], %[q], [%[x], #24]\n\t"                   \
    "smlad %[a4], %[w2], %[p], %[a4]\n\t"                \
    "smlad %[a5], %[w1], %[p], %[a5]\n\t"                \
    "smlad %[a5], %[w2], %[q], %[a5]"
#define TOFHIL_ACC_smuad(a) ""
#define TOFHIL_ACC_smlad(a) ", %[" #a "]"
#endif

/*
 * One kernel row of a 3-wide, stride-1 kernel over two-channel pixels for six neighbouring outputs of one
 * channel: acc[j] (+)= w[0].x[j] + w[1].x[j+1] + w[2].x[j+2], j = 0..5, where x[i] is pixel i's int16 pair (a
 * word of the word-aligned x) and w the kernel row's three weight pairs (word-aligned). The weights stay in
 * registers for the whole row and each loaded input pair serves up to three SMLADs: 2 + 4 loads, 18 SMLAD. With
 * first != 0 the accumulators are set, not added to (the first kernel row of a bias-free output). On the M4,
 * optimising, one asm block of 13 registers, so every compiler and level gets the same schedule; its memory
 * reads are a "memory" clobber, not operands (an operand's address costs clang a register more than it has at
 * -O3). Unoptimised builds (-O0: GCC keeps r7 for the frame pointer, 12 left) and other cores run plain C.
 */
TOFHIL_INLINE void tofhil_conv_row_k3x6_s16(const uint32_t *w, const int16_t *x, int32_t *acc, int first)
{
#if TOFHIL_CONV_ROW_ASM
    int32_t a0, a1, a2, a3, a4, a5;
    uint32_t w0, w1, w2, p, q;
    if (first) {
        __asm__(TOFHIL_CONV_ROW_K3X6_ASM(smuad)
                : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [a4] "=&r"(a4), [a5] "=&r"(a5),
                  [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2), [p] "=&r"(p), [q] "=&r"(q)
                : [w] "r"(w), [x] "r"(x)
                : "memory");
    } else {
        a0 = acc[0];
        a1 = acc[1];
        a2 = acc[2];
        a3 = acc[3];
        a4 = acc[4];
        a5 = acc[5];
        __asm__(TOFHIL_CONV_ROW_K3X6_ASM(smlad)
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [a4] "+r"(a4), [a5] "+r"(a5),
                  [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2), [p] "=&r"(p), [q] "=&r"(q)
                : [w] "r"(w), [x] "r"(x)
                : "memory");
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    acc[4] = a4;
    acc[5] = a5;
#else
    int j, k;
    for (j = 0; j < 6; ++j) {
        int32_t sum = first ? 0 : acc[j];
        for (k = 0; k < 3; ++k) {
            sum = tofhil_smlad(w[k], tofhil_load32(x + 2 * (j + k)), sum);
        }
        acc[j] = sum;
    }
#endif
}

/* acc + sum of n int8 weights (grouped for SXTB16 as below) times int16 x */
TOFHIL_INLINE int32_t tofhil_dot_s8_s16(const int8_t *w, const int16_t *x, int n, int32_t acc)
{
    int i;
    for (i = 0; i < (n & ~3); i += 4) {
        const uint32_t packed = tofhil_load32(w + i);
        acc = tofhil_smlad(tofhil_sxtb16(packed), tofhil_load32(x + i), acc);
        acc = tofhil_smlad(tofhil_sxtb16_ror8(packed), tofhil_load32(x + i + 2), acc);
    }
    for (i = n & ~3; i < n; ++i) {
        acc += (int32_t)w[i] * x[i];
    }
    return acc;
}

/* acc + sum w[i] * x[i] over n int16 pairs-friendly elements (n is a constant at every call) */
TOFHIL_INLINE int32_t tofhil_dot_s16(const int16_t *w, const int16_t *x, int n, int32_t acc)
{
    int i;
    for (i = 0; i < (n & ~1); i += 2) {
        acc = tofhil_smlad(tofhil_load32(w + i), tofhil_load32(x + i), acc);
    }
    if (n & 1) {
        acc += (int32_t)w[n - 1] * x[n - 1];
    }
    return acc;
}

/*
 * Two dot products of int8 weight rows with one int16 vector. Weights are laid out by
 * the exporter in groups of four as w0 w2 w1 w3, so SXTB16 of a word gives the pair
 * (w0, w1) and SXTB16 of it rotated by 8 gives (w2, w3), matching x's int16 pairs; the
 * last n % 4 weights stay in order.
 */
TOFHIL_INLINE void tofhil_dot2_s8_s16(const int8_t *w0, const int8_t *w1, const int16_t *x, int n,
                                      int32_t *acc0, int32_t *acc1)
{
    int32_t a0 = *acc0;
    int32_t a1 = *acc1;
    int i;
    for (i = 0; i < (n & ~3); i += 4) {
        const uint32_t x01 = tofhil_load32(x + i);
        const uint32_t x23 = tofhil_load32(x + i + 2);
        const uint32_t p0 = tofhil_load32(w0 + i);
        const uint32_t p1 = tofhil_load32(w1 + i);
        a0 = tofhil_smlad(tofhil_sxtb16(p0), x01, a0);
        a1 = tofhil_smlad(tofhil_sxtb16(p1), x01, a1);
        a0 = tofhil_smlad(tofhil_sxtb16_ror8(p0), x23, a0);
        a1 = tofhil_smlad(tofhil_sxtb16_ror8(p1), x23, a1);
    }
    for (i = n & ~3; i < n; ++i) {
        a0 += (int32_t)w0[i] * x[i];
        a1 += (int32_t)w1[i] * x[i];
    }
    *acc0 = a0;
    *acc1 = a1;
}

/* acc + int8 row (grouped for SXTB16) . x over four int16 values (x01, x23) */
TOFHIL_INLINE int32_t tofhil_mac4_s8_s16(const int8_t *w, uint32_t x01, uint32_t x23, int32_t acc)
{
    const uint32_t p = tofhil_load32(w);
    return tofhil_smlad(tofhil_sxtb16_ror8(p), x23, tofhil_smlad(tofhil_sxtb16(p), x01, acc));
}

#if TOFHIL_DSP
/* The groups of four inputs of tofhil_dot4_s8_s16 up to end (one loop in one asm block: no register shuffling
 * between groups): four rows' SXTB16-ordered weight words (16 bytes at w) against the int16 pairs x01, x23 (8
 * bytes at x), both pointers advancing; each weight word is unpacked in place. At least one group. */
#define TOFHIL_DOT4_GROUPS_ASM(w, x, end, a0, a1, a2, a3)                                                \
    do {                                                                                             \
        uint32_t p0_, p1_, x01_, x23_, t_;                                                  \
        __asm__("1:\n\t"                                                                               \
                "ldrd %[x01], %[x23], [%[x]], #8\n\t"                                                \
                "ldrd %[p0], %[p1], [%[w]], #8\n\t"                                                  \
                "sxtb16 %[t], %[p0]\n\t"                                                             \
                "smlad %[a0], %[t], %[x01], %[a0]\n\t"                                               \
                "sxtb16 %[p0], %[p0], ror #8\n\t"                                                    \
                "smlad %[a0], %[p0], %[x23], %[a0]\n\t"                                              \
                "sxtb16 %[t], %[p1]\n\t"                                                             \
                "smlad %[a1], %[t], %[x01], %[a1]\n\t"                                               \
                "sxtb16 %[p1], %[p1], ror #8\n\t"                                                    \
                "smlad %[a1], %[p1], %[x23], %[a1]\n\t"                                              \
                "ldrd %[p0], %[p1], [%[w]], #8\n\t"                                                  \
                "sxtb16 %[t], %[p0]\n\t"                                                             \
                "smlad %[a2], %[t], %[x01], %[a2]\n\t"                                               \
                "sxtb16 %[p0], %[p0], ror #8\n\t"                                                    \
                "smlad %[a2], %[p0], %[x23], %[a2]\n\t"                                              \
                "sxtb16 %[t], %[p1]\n\t"                                                             \
                "smlad %[a3], %[t], %[x01], %[a3]\n\t"                                               \
                "sxtb16 %[p1], %[p1], ror #8\n\t"                                                    \
                "smlad %[a3], %[p1], %[x23], %[a3]\n\t"                                               \
                "cmp %[w], %[end]\n\t"                                                                \
                "bne 1b"                                                                               \
                : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w] "+r"(w), [x] "+r"(x),     \
                  [p0] "=&r"(p0_), [p1] "=&r"(p1_), [x01] "=&r"(x01_),                                       \
                  [x23] "=&r"(x23_), [t] "=&r"(t_)                                                     \
                : [end] "r"(end)                                                                       \
                : "cc", "memory");                                                                     \
    } while (0)
#endif

/*
 * Four dot products of int8 weight rows with one int16 vector. The exporter interleaves the
 * rows (specialize.interleave_row_quads): per group of four inputs, the four SXTB16-ordered
 * bytes of row 0, 1, 2 and 3; then the n % 4 last weights of each row. One walking pointer,
 * and each pair of x loads serves eight SMLADs.
 */
TOFHIL_INLINE void tofhil_dot4_s8_s16(const int8_t *w, const int16_t *x, int n, int32_t *acc)
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    const int tail = n & 3;
    int i;
#if TOFHIL_DSP
    /* 3 LDRD + 8 SXTB16 + 8 SMLAD + 2 per group of four inputs, the same schedule under every compiler; LDRD
     * needs w and x on a word, as the exporter lays them out (TOFHIL_ALIGNED arrays, quads of rows of 4 x n
     * bytes, the word-aligned int16 scratch) */
    if (n >= 4) {
        const int8_t *const end = w + 16 * (n / 4);
        TOFHIL_DOT4_GROUPS_ASM(w, x, end, a0, a1, a2, a3);
    }
#else
    for (i = 0; i < n / 4; ++i, w += 16, x += 4) {
        const uint32_t x01 = tofhil_load32(x), x23 = tofhil_load32(x + 2);
        a0 = tofhil_mac4_s8_s16(w, x01, x23, a0);
        a1 = tofhil_mac4_s8_s16(w + 4, x01, x23, a1);
        a2 = tofhil_mac4_s8_s16(w + 8, x01, x23, a2);
        a3 = tofhil_mac4_s8_s16(w + 12, x01, x23, a3);
    }
#endif
    for (i = 0; i < tail; ++i) {
        a0 += (int32_t)w[i] * x[i];
        a1 += (int32_t)w[tail + i] * x[i];
        a2 += (int32_t)w[2 * tail + i] * x[i];
        a3 += (int32_t)w[3 * tail + i] * x[i];
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* TFLite's MultiplyByQuantizedMultiplier for multiplier >= 0, left = max(shift, 0), right = max(-shift, 0):
 * SaturatingRoundingDoublingHighMul is floor((x * M + 2^30) / 2^31) (saturation needs M = INT32_MIN),
 * RoundingDivideByPOT rounds half away from zero. */
TOFHIL_INLINE int32_t tofhil_requantize(int32_t acc, int32_t multiplier, int left, int right)
{
    const int64_t product = (int64_t)(int32_t)((uint32_t)acc << left) * multiplier;
    const int32_t high = (int32_t)((product + ((int64_t)1 << 30)) >> 31);
    const int32_t mask = (int32_t)((1u << right) - 1u);
    return (high >> right) + ((high & mask) > (mask >> 1) + (high < 0 ? 1 : 0) ? 1 : 0);
}

/*
 * tofhil_requantize for left = 0 and right >= 1, with round = 2^(right-1) hoisted by the caller:
 * RoundingDivideByPOT(x, r) = (x + 2^(r-1) - (x < 0)) >> r, exact when that sum fits int32
 * (the exporter checks it against the accumulator range).
 */
TOFHIL_INLINE int32_t tofhil_requantize_right(int32_t acc, int32_t multiplier, int right, int32_t round)
{
    const int64_t product = (int64_t)acc * multiplier;
    const int32_t high = (int32_t)((product + ((int64_t)1 << 30)) >> 31);
    return (high + round - (int32_t)((uint32_t)high >> 31)) >> right;
}

/*
 * (acc * M + 2^(n-1) - (acc * M < 0)) >> n for 33 <= n <= 62: acc * M / 2^n rounded half away
 * from zero in one step, from the high word of the product (2^(n-1) is a multiple of 2^32).
 * The exporter proved it equal, channel by channel and over every reachable accumulator, to
 * TFLite's requantization (training/export/requant.py).
 */
TOFHIL_INLINE int32_t tofhil_requantize_single(int32_t acc, int32_t multiplier, int shift)
{
    const int64_t product = (int64_t)acc * multiplier;
    const int32_t high = (int32_t)((product - (product < 0 ? 1 : 0)) >> 32);
    return (high + (int32_t)(1u << (shift - 33))) >> (shift - 32);
}

/*
 * floor((acc * M + K) / 2^(32 + shift)) on an accumulator without bias: one SMLAL and a shift of
 * the high word (K folds bias, rounding and output offset). The exporter proved it equal, channel
 * by channel and over every reachable accumulator, to TFLite's requantization (requant.py).
 */
TOFHIL_INLINE int32_t tofhil_requantize_folded(int32_t acc, int32_t multiplier, int64_t offset, int shift)
{
    const int64_t value = (int64_t)acc * multiplier + offset;
    return (int32_t)(value >> 32) >> shift;
}

/* bytewise signed max (or min) of four int8 lanes: SSUB8 sets a GE flag per lane, SEL picks by it */
TOFHIL_INLINE uint32_t tofhil_max_s8x4(uint32_t a, uint32_t b, int want_max)
{
#if TOFHIL_DSP
    uint32_t r;
    if (want_max) {
        __asm__("ssub8 %0, %1, %2\n\tsel %0, %1, %2" : "=&r"(r) : "r"(a), "r"(b) : "cc");
    } else {
        __asm__("ssub8 %0, %1, %2\n\tsel %0, %2, %1" : "=&r"(r) : "r"(a), "r"(b) : "cc");
    }
    return r;
#else
    uint32_t r = 0;
    int lane;
    for (lane = 0; lane < 32; lane += 8) {
        const int32_t x = (int32_t)(int8_t)((a >> lane) & 0xFFu);
        const int32_t y = (int32_t)(int8_t)((b >> lane) & 0xFFu);
        const int32_t pick = (x >= y) == (want_max != 0) ? x : y;
        r |= ((uint32_t)pick & 0xFFu) << lane;
    }
    return r;
#endif
}

TOFHIL_INLINE int8_t tofhil_clamp_s8(int32_t value, int32_t lo, int32_t hi)
{
    return (int8_t)(value < lo ? lo : (value > hi ? hi : value));
}

/* saturate to -128..127 (one SSAT on the M4): the clamp when the activation range is all of int8 */
TOFHIL_INLINE int8_t tofhil_saturate_s8(int32_t value)
{
#if TOFHIL_DSP
    return (int8_t)__ssat(value, 8);
#else
    return (int8_t)(value < -128 ? -128 : (value > 127 ? 127 : value));
#endif
}

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
/* The two halves of the softmax, for the generated one that reads its exps from a table: the Q0.31 exp of one
 * difference diff = x - max(row) >= diff_min, and a row's int8 outputs from its exps (0: below diff_min). */
int32_t tofhil_softmax_exp(int32_t diff, int32_t input_multiplier, int32_t input_left_shift);
void tofhil_softmax_outputs(const int32_t *exps, int depth, int8_t *out);
void tofhil_add_s8(const tofhil_add_t *p, const int8_t *input1, const int8_t *input2, int8_t *output);
void tofhil_copy_s8(const int8_t *input, int8_t *output, uint32_t size);

/* QUANTIZE float32 -> int8 and DEQUANTIZE int8 -> float32 (float-I/O models). */
void tofhil_quantize_f32_s8(const float *input, int8_t *output, uint32_t size, float scale, int32_t zero_point);
void tofhil_dequantize_s8_f32(const int8_t *input, float *output, uint32_t size, double scale, int32_t zero_point);

#endif /* TOFHIL_KERNELS_H */
