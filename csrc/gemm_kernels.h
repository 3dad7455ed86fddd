/* The kernels of gemm.h's table: the AVX-512F and AVX2 + FMA variants
 * (gemm_simd.h, once per instruction set and element type), the choice among
 * them, and the entry points fm_gemm_d / fm_gemm_s with the portable variant
 * (gemm_entry.h, once per element type).  Included by one extension module only
 * (fastmlp/_kernels/_gemm.pyx), so the chosen variant is one per process. */
#ifndef FASTMLP_GEMM_KERNELS_H
#define FASTMLP_GEMM_KERNELS_H

#include "gemm.h"
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
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define FM_GEMM_X86 1
#include <immintrin.h>

/* AVX-512F: 32 zmm registers; the masks of edge tiles in mask registers. */
#pragma GCC push_options
#pragma GCC target("avx512f")
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
#define FM_HSUM(v) _mm512_reduce_add_pd(v)
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
#define FM_HSUM(v) _mm512_reduce_add_ps(v)
#include "gemm_simd.h"
#undef FM_ISA
#undef FM_NREGS
#undef FM_MR
#undef FM_NV
#undef FM_KC
#undef FM_RD_MR
#undef FM_RD_NR
#pragma GCC pop_options

/* AVX2 + FMA: 16 ymm registers, which also hold the masks of edge tiles. */
#pragma GCC push_options
#pragma GCC target("avx2,fma")
static inline double fm_hsum_avx2_d(__m256d v) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}
static inline float fm_hsum_avx2_s(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
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
#define FM_LOADM(p, m) _mm256_maskload_pd(p, m)
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
#define FM_LOADM(p, m) _mm256_maskload_ps(p, m)
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
#pragma GCC pop_options
#endif /* x86-64 GCC */

/* ---------------------------------------------------------------------- */
/* Choice of variant                                                       */
/* ---------------------------------------------------------------------- */
static int fm_gemm_isa_now = -1;

/* Whether this CPU (and its operating system) runs the variant. */
static int fm_gemm_supported(int isa) {
    if (isa == FM_ISA_GENERIC) return 1;
#ifdef FM_GEMM_X86
    __builtin_cpu_init();
    if (isa == FM_ISA_AVX2)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (isa == FM_ISA_AVX512) return __builtin_cpu_supports("avx512f");
#endif
    return 0;
}

static int fm_gemm_isa(void) {
    if (fm_gemm_isa_now < 0) {
        if (fm_gemm_supported(FM_ISA_AVX512)) fm_gemm_isa_now = FM_ISA_AVX512;
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
