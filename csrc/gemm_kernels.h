/* The kernels declared by gemm.h's comment: portable C, AVX2 + FMA and
 * AVX-512F variants, the choice among them, and the entry points
 * fm_gemm_d / fm_gemm_s.  Included by one extension module only
 * (fastmlp/_kernels/_gemm.pyx), so the chosen variant is one per process. */
#ifndef FASTMLP_GEMM_KERNELS_H
#define FASTMLP_GEMM_KERNELS_H

#include "gemm.h"
#include "variants.h"

/* ---------------------------------------------------------------------- */
/* Portable C                                                              */
/* ---------------------------------------------------------------------- */
/* B(p, j) = b[p * sp + j * sj]: B as stored (sp = ldb, sj = 1), or B^T read
 * in place (sp = 1, sj = ldb) when no transposed copy can be allocated. */
#define FM_GEMM_GENERIC(T, SFX)                                                   \
static void fm_gemm_generic##SFX(const fm_gemm_args *g, const T *b, ptrdiff_t sp,  \
                                 ptrdiff_t sj) {                                  \
    const T *a = (const T *)g->a;                                                 \
    ptrdiff_t i0, i, j, p;                                                        \
    for (i0 = 0; i0 < g->m; i0 += 8) {                                            \
        ptrdiff_t i1 = i0 + 8 < g->m ? i0 + 8 : g->m;                             \
        for (i = i0; i < i1; i++) {                                               \
            T *cr = (T *)g->c + i * g->ldc;                                       \
            if (!g->accumulate)                                                   \
                for (j = 0; j < g->n; j++) cr[j] = 0;                             \
            for (p = 0; p < g->k; p++) {                                          \
                T aip = g->trans_a                                                \
                    ? a[(g->rows ? g->rows[p] : p) * g->lda + i]                  \
                    : a[(g->rows ? g->rows[i] : i) * g->lda + p];                 \
                const T *bp = b + p * sp;                                         \
                for (j = 0; j < g->n; j++) cr[j] += aip * bp[j * sj];             \
            }                                                                     \
        }                                                                         \
        if (g->epi) g->epi(g->ctx, i0, i1);                                       \
    }                                                                             \
    if (g->colsum) {                                                              \
        T *s = (T *)g->colsum;                                                    \
        for (p = 0; p < g->k; p++)                                                \
            for (j = 0; j < g->n; j++) s[j] += b[p * sp + j * sj];                \
    }                                                                             \
}
FM_GEMM_GENERIC(double, _d)
FM_GEMM_GENERIC(float, _s)
#undef FM_GEMM_GENERIC

/* ---------------------------------------------------------------------- */
/* Vector variants                                                         */
/* ---------------------------------------------------------------------- */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define FM_GEMM_X86 1
#include <immintrin.h>

#pragma GCC push_options
#pragma GCC target("avx512f")
#define FM_VL 8
#define FM_MR 8
#define FM_NV 3
#define FM_KC 64
#define FM_T double
#define FM_SFX _avx512_d
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
#define FM_DOT_NC 4
#include "gemm_simd.h"
#define FM_VL 16
#define FM_T float
#define FM_SFX _avx512_s
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
#undef FM_MR
#undef FM_NV
#undef FM_DOT_NC
#undef FM_KC
#pragma GCC pop_options

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
#define FM_MR 4
#define FM_NV 3
#define FM_KC 64
#define FM_VL 4
#define FM_T double
#define FM_SFX _avx2_d
#define FM_V __m256d
#define FM_M __m256i
#define FM_MASK(r) _mm256_cmpgt_epi64(_mm256_set1_epi64x(r), _mm256_setr_epi64x(0, 1, 2, 3))
#define FM_LOAD(p) _mm256_loadu_pd(p)
#define FM_LOADM(p, m) _mm256_maskload_pd(p, m)
#define FM_STORE(p, v) _mm256_storeu_pd(p, v)
#define FM_STOREM(p, m, v) _mm256_maskstore_pd(p, m, v)
#define FM_SET1(x) _mm256_set1_pd(x)
#define FM_ZERO() _mm256_setzero_pd()
#define FM_FMA(a, b, c) _mm256_fmadd_pd(a, b, c)
#define FM_ADD(a, b) _mm256_add_pd(a, b)
#define FM_HSUM(v) fm_hsum_avx2_d(v)
#define FM_DOT_NC 2
#include "gemm_simd.h"
#define FM_VL 8
#define FM_T float
#define FM_SFX _avx2_s
#define FM_V __m256
#define FM_M __m256i
#define FM_MASK(r) _mm256_cmpgt_epi32(_mm256_set1_epi32(r), \
                                      _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))
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
#undef FM_MR
#undef FM_NV
#undef FM_DOT_NC
#undef FM_KC
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
    if (fm_gemm_isa_now < 0)
        fm_gemm_isa_now = fm_gemm_supported(FM_ISA_AVX512) ? FM_ISA_AVX512
                          : fm_gemm_supported(FM_ISA_AVX2) ? FM_ISA_AVX2
                          : FM_ISA_GENERIC;
    return fm_gemm_isa_now;
}

/* Use variant `isa` from now on; returns 0, or -1 when the CPU lacks it. */
static int fm_gemm_set_isa(int isa) {
    if (!fm_gemm_supported(isa)) return -1;
    fm_gemm_isa_now = isa;
    return 0;
}

/* C thin enough for the dot-product form: n columns fill at most half of a
 * vector of the variant in use, and A is read by rows. */
static int fm_gemm_thin(int isa, const fm_gemm_args *g, size_t size) {
    size_t vector = isa == FM_ISA_AVX512 ? 64 : isa == FM_ISA_AVX2 ? 32 : 0;
    return !g->trans_a && !g->colsum && 2 * (size_t)g->n * size <= vector &&
           g->k * (ptrdiff_t)size >= 32;
}

#define FM_GEMM_ENTRY(T, SFX)                                                     \
static void fm_gemm##SFX(const fm_gemm_args *g, int trans_b, const T *b,          \
                         ptrdiff_t ldb) {                                         \
    T *copy = NULL;                                                               \
    int isa = fm_gemm_isa();                                                      \
    int thin;                                                                     \
    if (g->m <= 0 && !g->colsum) return;                                          \
    if (g->n <= 0) return;                                                        \
    thin = fm_gemm_thin(isa, g, sizeof(T));                                       \
    if (thin != trans_b && g->k > 0) {                                            \
        /* The other layout of B once, contiguous: B^T rows for the dot form,     \
         * B rows for the broadcast form. */                                      \
        ptrdiff_t p, j, j0;                                                       \
        copy = (T *)malloc((size_t)(g->k * g->n) * sizeof(T));                    \
        if (copy == NULL) {                                                       \
            /* No memory for the copy: the portable loops on B as it is. */       \
            if (trans_b) fm_gemm_generic##SFX(g, b, 1, ldb);                      \
            else fm_gemm_generic##SFX(g, b, ldb, 1);                              \
            return;                                                               \
        }                                                                         \
        if (trans_b) {                                                            \
            for (j0 = 0; j0 < g->n; j0 += 16)                                     \
                for (p = 0; p < g->k; p++)                                        \
                    for (j = j0; j < g->n && j < j0 + 16; j++)                    \
                        copy[p * g->n + j] = b[j * ldb + p];                      \
            ldb = g->n;                                                           \
        } else {                                                                  \
            for (p = 0; p < g->k; p++)                                            \
                for (j = 0; j < g->n; j++)                                        \
                    copy[j * g->k + p] = b[p * ldb + j];                          \
            ldb = g->k;                                                           \
        }                                                                         \
        b = copy;                                                                 \
    }                                                                             \
    FM_GEMM_DISPATCH(SFX)                                                         \
    free(copy);                                                                   \
}

#ifdef FM_GEMM_X86
#define FM_GEMM_DISPATCH(SFX)                                                     \
    if (thin && isa == FM_ISA_AVX512) fm_gemm_dot_avx512##SFX(g, b, ldb);    \
    else if (thin) fm_gemm_dot_avx2##SFX(g, b, ldb);                              \
    else if (isa == FM_ISA_AVX512) fm_gemm_avx512##SFX(g, b, ldb);                \
    else if (isa == FM_ISA_AVX2) fm_gemm_avx2##SFX(g, b, ldb);                    \
    else fm_gemm_generic##SFX(g, b, ldb, 1);
#else
#define FM_GEMM_DISPATCH(SFX) (void)isa; (void)thin; fm_gemm_generic##SFX(g, b, ldb, 1);
#endif


FM_GEMM_ENTRY(double, _d)
FM_GEMM_ENTRY(float, _s)
#undef FM_GEMM_ENTRY
#undef FM_GEMM_DISPATCH

#endif /* FASTMLP_GEMM_KERNELS_H */
