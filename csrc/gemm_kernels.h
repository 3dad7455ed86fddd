/* The kernels of gemm.h's table: the AVX-512F and AVX2 + FMA variants on x86-64
 * and the NEON variant on aarch64 (gemm_simd.h, once per instruction set and
 * element type), the choice among them, and the entry points fm_gemm_d /
 * fm_gemm_s with the portable variant (gemm_entry.h, once per element type).  Included by one extension module only
 * (fastmlp/_kernels/_gemm.pyx), so the chosen variant is one per process. */
#ifndef FASTMLP_GEMM_KERNELS_H
#define FASTMLP_GEMM_KERNELS_H

#include "gemm.h"
#include "platform.h"
#include "variants.h"

/* Where a broadcast tile (gemm_simd.h) finds A(i, p), R(x) = rows ? rows[x] : x. */
enum fm_tile_a {
    FM_A_ROWS,       /* ar[i][p]: A's rows through pointers (C = A B) */
    FM_A_TRANSPOSED, /* a[R(p) * lda + i]: the stored row of A holding p (C = A^T B) */
    FM_A_ONES        /* 1, a single row: the column sums of B, into g->colsum */
};

/* ---------------------------------------------------------------------- */
/* Vector variants                                                         */
/* ---------------------------------------------------------------------- */
/* x86-64, GCC or clang: each instruction set's functions carry its target, by
 * GCC's target pragma or clang's attribute pragma, so no -march flag is needed. */
#if defined(__GNUC__) && defined(__x86_64__)
#define FM_GEMM_X86 1
#include <immintrin.h>

/* AVX-512F: 32 zmm registers; the masks of edge tiles in mask registers. */
#ifdef __clang__
#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f")
#endif
/* The sum of a vector's elements by halves: the order of GCC's
 * _mm512_reduce_add_pd / _ps, written out so that every compiler adds the same. */
static inline double fm_hsum_avx512_d(__m512d v) {
    __m256d h = _mm256_add_pd(_mm512_extractf64x4_pd(v, 1), _mm512_extractf64x4_pd(v, 0));
    __m128d q = _mm_add_pd(_mm256_extractf128_pd(h, 1), _mm256_castpd256_pd128(h));
    return _mm_cvtsd_f64(_mm_add_sd(q, _mm_unpackhi_pd(q, q)));
}
static inline float fm_hsum_avx512_s(__m512 v) {
    __m512d w = _mm512_castps_pd(v);
    __m256 h = _mm256_add_ps(_mm256_castpd_ps(_mm512_extractf64x4_pd(w, 1)),
                             _mm256_castpd_ps(_mm512_extractf64x4_pd(w, 0)));
    __m128 q = _mm_add_ps(_mm256_extractf128_ps(h, 1), _mm256_castps256_ps128(h));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    return _mm_cvtss_f32(_mm_add_ss(q, _mm_movehdup_ps(q)));
}
#define FM_ISA _avx512
#define FM_NREGS 32
#define FM_MR 8
#define FM_NV 3
#define FM_KC 64
#define FM_RD_MR 4
#define FM_RD_NR 4
#define FM_VL 8
#define FM_T double
#define FM_SFX _d
#define FM_V __m512d
#define FM_M __mmask8
#define FM_MASK(r) ((__mmask8)((1u << (r)) - 1u))
#define FM_LOAD(p) _mm512_loadu_pd(p)
#define FM_LOADM(p, m) _mm512_maskz_loadu_pd(m, p)
#define FM_STORE(p, v) _mm512_storeu_pd(p, v)
#define FM_STOREM(p, m, v) _mm512_mask_storeu_pd(p, m, v)
#define FM_SET1(x) _mm512_set1_pd(x)
#define FM_ZERO() _mm512_setzero_pd()
#define FM_FMA(a, b, c) _mm512_fmadd_pd(a, b, c)
#define FM_ADD(a, b) _mm512_add_pd(a, b)
#define FM_HSUM(v) fm_hsum_avx512_d(v)
#include "gemm_simd.h"
#define FM_VL 16
#define FM_T float
#define FM_SFX _s
#define FM_V __m512
#define FM_M __mmask16
#define FM_MASK(r) ((__mmask16)((1u << (r)) - 1u))
#define FM_LOAD(p) _mm512_loadu_ps(p)
#define FM_LOADM(p, m) _mm512_maskz_loadu_ps(m, p)
#define FM_STORE(p, v) _mm512_storeu_ps(p, v)
#define FM_STOREM(p, m, v) _mm512_mask_storeu_ps(p, m, v)
#define FM_SET1(x) _mm512_set1_ps(x)
#define FM_ZERO() _mm512_setzero_ps()
#define FM_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define FM_ADD(a, b) _mm512_add_ps(a, b)
#define FM_HSUM(v) fm_hsum_avx512_s(v)
#include "gemm_simd.h"
#undef FM_ISA
#undef FM_NREGS
#undef FM_MR
#undef FM_NV
#undef FM_KC
#undef FM_RD_MR
#undef FM_RD_NR
#ifdef __clang__
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

/* AVX2 + FMA: 16 ymm registers, which also hold the masks of edge tiles. */
#ifdef __clang__
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
static inline double fm_hsum_avx2_d(__m256d v) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}
static inline float fm_hsum_avx2_s(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}
/* The mask *m of an edge tile, read from memory at every use.  Held in a
 * register through the k loop it would be a 17th vector beside the tile's 16
 * (12 C, 3 B, 1 A), and clang would rather keep an accumulator on the stack,
 * which halves the tile's speed; GCC reloads the mask by itself. */
static inline __m256i fm_mask_avx2(const __m256i *m) {
    return *(const volatile __m256i *)m;
}
#define FM_ISA _avx2
#define FM_NREGS 16
#define FM_MR 4
#define FM_NV 3
#define FM_KC 64
#define FM_RD_MR 4
#define FM_RD_NR 2
#define FM_VL 4
#define FM_T double
#define FM_SFX _d
#define FM_V __m256d
#define FM_M __m256i
#define FM_MASK(r)                                                                       \
    _mm256_cmpgt_epi64(_mm256_set1_epi64x(r), _mm256_setr_epi64x(0, 1, 2, 3))
#define FM_LOAD(p) _mm256_loadu_pd(p)
#define FM_LOADM(p, m) _mm256_maskload_pd(p, fm_mask_avx2(&(m)))
#define FM_STORE(p, v) _mm256_storeu_pd(p, v)
#define FM_STOREM(p, m, v) _mm256_maskstore_pd(p, m, v)
#define FM_SET1(x) _mm256_set1_pd(x)
#define FM_ZERO() _mm256_setzero_pd()
#define FM_FMA(a, b, c) _mm256_fmadd_pd(a, b, c)
#define FM_ADD(a, b) _mm256_add_pd(a, b)
#define FM_HSUM(v) fm_hsum_avx2_d(v)
#include "gemm_simd.h"
#define FM_VL 8
#define FM_T float
#define FM_SFX _s
#define FM_V __m256
#define FM_M __m256i
#define FM_MASK(r)                                                                       \
    _mm256_cmpgt_epi32(_mm256_set1_epi32(r), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
#define FM_LOAD(p) _mm256_loadu_ps(p)
#define FM_LOADM(p, m) _mm256_maskload_ps(p, fm_mask_avx2(&(m)))
#define FM_STORE(p, v) _mm256_storeu_ps(p, v)
#define FM_STOREM(p, m, v) _mm256_maskstore_ps(p, m, v)
#define FM_SET1(x) _mm256_set1_ps(x)
#define FM_ZERO() _mm256_setzero_ps()
#define FM_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define FM_ADD(a, b) _mm256_add_ps(a, b)
#define FM_HSUM(v) fm_hsum_avx2_s(v)
#include "gemm_simd.h"
#undef FM_ISA
#undef FM_NREGS
#undef FM_MR
#undef FM_NV
#undef FM_KC
#undef FM_RD_MR
#undef FM_RD_NR
#ifdef __clang__
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

/* aarch64 (GCC or clang): NEON, part of every aarch64 processor, 32 registers of
 * 128 bits.  No masked loads and stores: an edge tile's last vector goes through
 * a zeroed copy of its first r lanes. */
#elif defined(__GNUC__) && defined(__aarch64__)
#define FM_GEMM_NEON 1
#include <arm_neon.h>

static inline float64x2_t fm_neon_loadm_d(const double *p, int r) {
    double t[2] = {0, 0};
    int l;
    for (l = 0; l < r; l++) t[l] = p[l];
    return vld1q_f64(t);
}
static inline void fm_neon_storem_d(double *p, int r, float64x2_t v) {
    double t[2];
    int l;
    vst1q_f64(t, v);
    for (l = 0; l < r; l++) p[l] = t[l];
}
static inline float32x4_t fm_neon_loadm_s(const float *p, int r) {
    float t[4] = {0, 0, 0, 0};
    int l;
    for (l = 0; l < r; l++) t[l] = p[l];
    return vld1q_f32(t);
}
static inline void fm_neon_storem_s(float *p, int r, float32x4_t v) {
    float t[4];
    int l;
    vst1q_f32(t, v);
    for (l = 0; l < r; l++) p[l] = t[l];
}
/* The sum of a vector's elements by halves, as the x86 variants add. */
static inline double fm_hsum_neon_d(float64x2_t v) {
    return vgetq_lane_f64(v, 0) + vgetq_lane_f64(v, 1);
}
static inline float fm_hsum_neon_s(float32x4_t v) {
    float32x2_t h = vadd_f32(vget_low_f32(v), vget_high_f32(v));
    return vget_lane_f32(h, 0) + vget_lane_f32(h, 1);
}
#define FM_ISA _neon
#define FM_NREGS 32
#define FM_MR 8
#define FM_NV 3
#define FM_KC 64
#define FM_RD_MR 4
#define FM_RD_NR 4
#define FM_VL 2
#define FM_T double
#define FM_SFX _d
#define FM_V float64x2_t
#define FM_M int
#define FM_MASK(r) (r)
#define FM_LOAD(p) vld1q_f64(p)
#define FM_LOADM(p, m) fm_neon_loadm_d(p, m)
#define FM_STORE(p, v) vst1q_f64(p, v)
#define FM_STOREM(p, m, v) fm_neon_storem_d(p, m, v)
#define FM_SET1(x) vdupq_n_f64(x)
#define FM_ZERO() vdupq_n_f64(0.0)
#define FM_FMA(a, b, c) vfmaq_f64(c, a, b)
#define FM_ADD(a, b) vaddq_f64(a, b)
#define FM_HSUM(v) fm_hsum_neon_d(v)
#include "gemm_simd.h"
#define FM_VL 4
#define FM_T float
#define FM_SFX _s
#define FM_V float32x4_t
#define FM_M int
#define FM_MASK(r) (r)
#define FM_LOAD(p) vld1q_f32(p)
#define FM_LOADM(p, m) fm_neon_loadm_s(p, m)
#define FM_STORE(p, v) vst1q_f32(p, v)
#define FM_STOREM(p, m, v) fm_neon_storem_s(p, m, v)
#define FM_SET1(x) vdupq_n_f32(x)
#define FM_ZERO() vdupq_n_f32(0.0f)
#define FM_FMA(a, b, c) vfmaq_f32(c, a, b)
#define FM_ADD(a, b) vaddq_f32(a, b)
#define FM_HSUM(v) fm_hsum_neon_s(v)
#include "gemm_simd.h"
#undef FM_ISA
#undef FM_NREGS
#undef FM_MR
#undef FM_NV
#undef FM_KC
#undef FM_RD_MR
#undef FM_RD_NR
#endif /* the vector variants */

/* ---------------------------------------------------------------------- */
/* Choice of variant                                                       */
/* ---------------------------------------------------------------------- */
static int fm_gemm_isa_now = -1;

/* Whether this CPU (and its operating system) runs the variant. */
static int fm_gemm_supported(int isa) {
    if (isa == FM_ISA_GENERIC) return 1;
#if defined(FM_GEMM_X86)
    if (isa == FM_ISA_AVX2) return fm_cpu_has_avx2() && fm_cpu_has_fma();
    if (isa == FM_ISA_AVX512) return fm_cpu_has_avx512f();
#elif defined(FM_GEMM_NEON)
    if (isa == FM_ISA_NEON) return fm_cpu_has_neon();
#endif
    return 0;
}

static int fm_gemm_isa(void) {
    if (fm_gemm_isa_now < 0) {
        if (fm_gemm_supported(FM_ISA_AVX512)) fm_gemm_isa_now = FM_ISA_AVX512;
        else if (fm_gemm_supported(FM_ISA_NEON)) fm_gemm_isa_now = FM_ISA_NEON;
        else if (fm_gemm_supported(FM_ISA_AVX2)) fm_gemm_isa_now = FM_ISA_AVX2;
        else fm_gemm_isa_now = FM_ISA_GENERIC;
    }
    return fm_gemm_isa_now;
}

/* Use variant `isa` from now on; returns 0, or -1 when the CPU lacks it. */
static int fm_gemm_set_isa(int isa) {
    if (!fm_gemm_supported(isa)) return -1;
    fm_gemm_isa_now = isa;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* Entry points fm_gemm_d, fm_gemm_s and the portable variant              */
/* ---------------------------------------------------------------------- */
#define FM_T double
#define FM_SFX _d
#include "gemm_entry.h"
#define FM_T float
#define FM_SFX _s
#include "gemm_entry.h"

#endif /* FASTMLP_GEMM_KERNELS_H */
