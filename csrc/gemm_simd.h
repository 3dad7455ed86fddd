/* Body of the vector kernels of gemm.h, included once per instruction set and
 * element type.  The includer defines:
 *
 *   FM_T            element type (double or float)
 *   FM_SFX          name suffix, e.g. _avx512_d
 *   FM_V            vector type;  FM_VL  its number of elements
 *   FM_M            mask type;    FM_MASK(r): the first r lanes (1 <= r <= FM_VL)
 *   FM_MR           rows of a full register tile (a power of two);
 *   FM_NV           vectors per tile row
 *   FM_LOAD(p)  FM_LOADM(p, m)  FM_STORE(p, v)  FM_STOREM(p, m, v)
 *   FM_SET1(x)  FM_ZERO()  FM_FMA(a, b, c) = a * b + c  FM_ADD(a, b)
 *   FM_HSUM(v)      the sum of v's elements
 *   FM_DOT_NC       most columns of a tile of the dot-product form (1..4)
 *   FM_KC           rows of A and B per block of the transposed product
 *
 * and wraps the include in a target pragma.  The per-type macros (FM_T to
 * FM_HSUM) are undefined at the end of this file; FM_MR, FM_NV, FM_DOT_NC and
 * FM_KC stay for the next element type of the same instruction set.  Every element of C is one chain
 * of fused multiply-adds over p = 0..k-1 in increasing order (in the dot
 * form: FM_VL chains over p = l, l + FM_VL, ..., summed by FM_HSUM), whatever
 * tile or strip it falls in, so a row's result does not depend on how rows
 * are split among calls or threads. */

#define FM_INLINE static inline __attribute__((always_inline))

/* One tile: rows i0..i0+mr of C (mr <= FM_MR), nv vectors of columns from j0,
 * the last masked with `last` when `masked` (a full tile uses plain loads and
 * stores, and keeps no mask in a vector register: AVX2 has 16 of them).  mode: 0 A(i,p) = ar[i][p]; 1 A(i,p) =
 * row_p[i] with row_p the stored row of A holding p; 2 every A(i,p) = 1 (the
 * column sums of B, into the single row c). */
FM_INLINE void FM_NAME(fm_tile)(
        const int mode, const int mr, const int nv, const int masked, ptrdiff_t k,
        const FM_T *const *ar, const FM_T *a, ptrdiff_t lda, const ptrdiff_t *rows,
        const FM_T *b, ptrdiff_t ldb, FM_M last, int accumulate, FM_T *c,
        ptrdiff_t ldc) {
    FM_V acc[FM_MR][FM_NV];
    const FM_T *row[FM_MR];
    ptrdiff_t p;
    int i, v;
#pragma GCC unroll 8
    for (i = 0; i < mr; i++) {
        row[i] = mode == 0 ? ar[i] : NULL;
#pragma GCC unroll 4
        for (v = 0; v < nv; v++) acc[i][v] = FM_ZERO();
    }
    for (p = 0; p < k; p++) {
        const FM_T *bp = b + p * ldb;
        FM_V bv[FM_NV];
#pragma GCC unroll 4
        for (v = 0; v < nv; v++)
            bv[v] = masked && v == nv - 1 ? FM_LOADM(bp + v * FM_VL, last)
                                          : FM_LOAD(bp + v * FM_VL);
        if (mode == 2) {
#pragma GCC unroll 4
            for (v = 0; v < nv; v++) acc[0][v] = FM_ADD(acc[0][v], bv[v]);
        } else if (mode == 1) {
            const FM_T *ap = a + (rows ? rows[p] : p) * lda;
#pragma GCC unroll 8
            for (i = 0; i < mr; i++) {
                FM_V ai = FM_SET1(ap[i]);
#pragma GCC unroll 4
                for (v = 0; v < nv; v++) acc[i][v] = FM_FMA(ai, bv[v], acc[i][v]);
            }
        } else {
#pragma GCC unroll 8
            for (i = 0; i < mr; i++) {
                FM_V ai = FM_SET1(row[i][p]);
#pragma GCC unroll 4
                for (v = 0; v < nv; v++) acc[i][v] = FM_FMA(ai, bv[v], acc[i][v]);
            }
        }
    }
#pragma GCC unroll 8
    for (i = 0; i < mr; i++) {
        FM_T *cr = c + i * ldc;
#pragma GCC unroll 4
        for (v = 0; v < nv; v++) {
            FM_V x = acc[i][v];
            if (masked && v == nv - 1) {
                if (accumulate) x = FM_ADD(FM_LOADM(cr + v * FM_VL, last), x);
                FM_STOREM(cr + v * FM_VL, last, x);
            } else {
                if (accumulate) x = FM_ADD(FM_LOAD(cr + v * FM_VL), x);
                FM_STORE(cr + v * FM_VL, x);
            }
        }
    }
}

/* The tiles of rows i0..i0+mr, all columns.  Constant mode and mr, so that
 * each call below compiles to fully unrolled register tiles. */
FM_INLINE void FM_NAME(fm_strip)(
        const int mode, const int mr, const fm_gemm_args *g, ptrdiff_t i0,
        const FM_T *b, ptrdiff_t ldb) {
    const FM_T *a = (const FM_T *)g->a;
    const FM_T *ar[FM_MR];
    FM_T *c = mode == 2 ? (FM_T *)g->colsum : (FM_T *)g->c + i0 * g->ldc;
    int accumulate = mode == 2 ? 1 : g->accumulate;
    const ptrdiff_t width = FM_NV * FM_VL;
    ptrdiff_t j0;
    int i;
    if (mode == 0) {
        for (i = 0; i < mr; i++)
            ar[i] = a + (g->rows ? g->rows[i0 + i] : i0 + i) * g->lda;
    } else if (mode == 1) {
        a += i0;
    }
    for (j0 = 0; j0 < g->n; j0 += width) {
        ptrdiff_t w = g->n - j0 < width ? g->n - j0 : width;
        int nv = (int)((w + FM_VL - 1) / FM_VL);
        FM_M last = FM_MASK((int)(w - (nv - 1) * FM_VL));
        if (w == width)
            FM_NAME(fm_tile)(mode, mr, FM_NV, 0, g->k, ar, a, g->lda, g->rows, b + j0,
                             ldb, last, accumulate, c + j0, g->ldc);
        else if (nv == FM_NV)
            FM_NAME(fm_tile)(mode, mr, FM_NV, 1, g->k, ar, a, g->lda, g->rows, b + j0,
                             ldb, last, accumulate, c + j0, g->ldc);
#if FM_NV > 2
        else if (nv == 2)
            FM_NAME(fm_tile)(mode, mr, 2, 1, g->k, ar, a, g->lda, g->rows, b + j0, ldb,
                             last, accumulate, c + j0, g->ldc);
#endif
        else
            FM_NAME(fm_tile)(mode, mr, 1, 1, g->k, ar, a, g->lda, g->rows, b + j0, ldb,
                             last, accumulate, c + j0, g->ldc);
    }
}

#define FM_STRIPS(MODE)                                                           \
    do {                                                                          \
        ptrdiff_t i0 = 0;                                                         \
        for (; i0 + FM_MR <= g->m; i0 += FM_MR) {                                 \
            FM_NAME(fm_strip)(MODE, FM_MR, g, i0, b, ldb);                        \
            if (g->epi) g->epi(g->ctx, i0, i0 + FM_MR);                           \
        }                                                                         \
        /* The rest in strips of decreasing powers of two: no row computed twice. */ \
        if (FM_MR > 4 && i0 + 4 <= g->m) {                                        \
            FM_NAME(fm_strip)(MODE, 4, g, i0, b, ldb);                            \
            if (g->epi) g->epi(g->ctx, i0, i0 + 4);                               \
            i0 += 4;                                                              \
        }                                                                         \
        if (i0 + 2 <= g->m) {                                                     \
            FM_NAME(fm_strip)(MODE, 2, g, i0, b, ldb);                            \
            if (g->epi) g->epi(g->ctx, i0, i0 + 2);                               \
            i0 += 2;                                                              \
        }                                                                         \
        if (i0 < g->m) {                                                          \
            FM_NAME(fm_strip)(MODE, 1, g, i0, b, ldb);                            \
            if (g->epi) g->epi(g->ctx, i0, i0 + 1);                               \
        }                                                                         \
    } while (0)

/* The dot-product form, for thin C (n of a few columns, not transposed A):
 * C(i, j) = sum_p A(i, p) Bt(j, p), vectors along p, with rows i0..i0+mr and
 * columns j0..j0+nc of C in registers. */
FM_INLINE void FM_NAME(fm_dot_tile)(
        const int mr, const int nc, ptrdiff_t k, const FM_T *const *ar,
        const FM_T *bt, ptrdiff_t ldbt, int accumulate, FM_T *c, ptrdiff_t ldc) {
    FM_V acc[4][4];
    ptrdiff_t p = 0;
    int i, j;
#pragma GCC unroll 4
    for (i = 0; i < mr; i++)
#pragma GCC unroll 4
        for (j = 0; j < nc; j++) acc[i][j] = FM_ZERO();
    for (; p + FM_VL <= k; p += FM_VL) {
        FM_V bv[4];
#pragma GCC unroll 4
        for (j = 0; j < nc; j++) bv[j] = FM_LOAD(bt + j * ldbt + p);
#pragma GCC unroll 4
        for (i = 0; i < mr; i++) {
            FM_V av = FM_LOAD(ar[i] + p);
#pragma GCC unroll 4
            for (j = 0; j < nc; j++) acc[i][j] = FM_FMA(av, bv[j], acc[i][j]);
        }
    }
    if (p < k) {
        FM_M tail = FM_MASK((int)(k - p));
        FM_V bv[4];
#pragma GCC unroll 4
        for (j = 0; j < nc; j++) bv[j] = FM_LOADM(bt + j * ldbt + p, tail);
#pragma GCC unroll 4
        for (i = 0; i < mr; i++) {
            FM_V av = FM_LOADM(ar[i] + p, tail);
#pragma GCC unroll 4
            for (j = 0; j < nc; j++) acc[i][j] = FM_FMA(av, bv[j], acc[i][j]);
        }
    }
#pragma GCC unroll 4
    for (i = 0; i < mr; i++)
#pragma GCC unroll 4
        for (j = 0; j < nc; j++) {
            FM_T s = FM_HSUM(acc[i][j]);
            c[i * ldc + j] = accumulate ? c[i * ldc + j] + s : s;
        }
}

FM_INLINE void FM_NAME(fm_dot_strip)(const int mr, const fm_gemm_args *g, ptrdiff_t i0,
                                     const FM_T *bt, ptrdiff_t ldbt) {
    const FM_T *a = (const FM_T *)g->a;
    const FM_T *ar[4];
    FM_T *c = (FM_T *)g->c + i0 * g->ldc;
    ptrdiff_t j0;
    int i;
    for (i = 0; i < mr; i++)
        ar[i] = a + (g->rows ? g->rows[i0 + i] : i0 + i) * g->lda;
    for (j0 = 0; j0 < g->n; j0 += FM_DOT_NC) {
        ptrdiff_t nc = g->n - j0 < FM_DOT_NC ? g->n - j0 : FM_DOT_NC;
        const FM_T *b = bt + j0 * ldbt;
        switch (nc) {
#if FM_DOT_NC >= 4
        case 4: FM_NAME(fm_dot_tile)(mr, 4, g->k, ar, b, ldbt, g->accumulate, c + j0, g->ldc); break;
#endif
#if FM_DOT_NC >= 3
        case 3: FM_NAME(fm_dot_tile)(mr, 3, g->k, ar, b, ldbt, g->accumulate, c + j0, g->ldc); break;
#endif
        case 2: FM_NAME(fm_dot_tile)(mr, 2, g->k, ar, b, ldbt, g->accumulate, c + j0, g->ldc); break;
        default: FM_NAME(fm_dot_tile)(mr, 1, g->k, ar, b, ldbt, g->accumulate, c + j0, g->ldc);
        }
    }
}

/* C = A Bt^T for thin C; Bt (n x k) row-major. */
static void FM_NAME(fm_gemm_dot)(const fm_gemm_args *g, const FM_T *bt, ptrdiff_t ldbt) {
    ptrdiff_t i0 = 0;
    for (; i0 + 4 <= g->m; i0 += 4) {
        FM_NAME(fm_dot_strip)(4, g, i0, bt, ldbt);
        if (g->epi) g->epi(g->ctx, i0, i0 + 4);
    }
    if (i0 + 2 <= g->m) {
        FM_NAME(fm_dot_strip)(2, g, i0, bt, ldbt);
        if (g->epi) g->epi(g->ctx, i0, i0 + 2);
        i0 += 2;
    }
    if (i0 < g->m) {
        FM_NAME(fm_dot_strip)(1, g, i0, bt, ldbt);
        if (g->epi) g->epi(g->ctx, i0, i0 + 1);
    }
}

/* One column block (from j0) of rows i0..i0+mr of C = A^T B over the rows
 * k0..k0+kc of A and B (accumulating into C after the first block). */
FM_INLINE void FM_NAME(fm_block_t)(
        const int mr, const fm_gemm_args *g, ptrdiff_t i0, ptrdiff_t j0, ptrdiff_t k0,
        ptrdiff_t kc, const FM_T *b, ptrdiff_t ldb) {
    const ptrdiff_t width = FM_NV * FM_VL;
    const FM_T *a = (const FM_T *)g->a + i0 + (g->rows ? 0 : k0 * g->lda);
    const ptrdiff_t *rows = g->rows ? g->rows + k0 : NULL;
    FM_T *c = (FM_T *)g->c + i0 * g->ldc + j0;
    int accumulate = k0 ? 1 : g->accumulate;
    ptrdiff_t w = g->n - j0 < width ? g->n - j0 : width;
    int nv = (int)((w + FM_VL - 1) / FM_VL);
    FM_M last = FM_MASK((int)(w - (nv - 1) * FM_VL));
    b += k0 * ldb + j0;
    if (w == width)
        FM_NAME(fm_tile)(1, mr, FM_NV, 0, kc, NULL, a, g->lda, rows, b, ldb, last,
                         accumulate, c, g->ldc);
    else if (nv == FM_NV)
        FM_NAME(fm_tile)(1, mr, FM_NV, 1, kc, NULL, a, g->lda, rows, b, ldb, last,
                         accumulate, c, g->ldc);
#if FM_NV > 2
    else if (nv == 2)
        FM_NAME(fm_tile)(1, mr, 2, 1, kc, NULL, a, g->lda, rows, b, ldb, last,
                         accumulate, c, g->ldc);
#endif
    else
        FM_NAME(fm_tile)(1, mr, 1, 1, kc, NULL, a, g->lda, rows, b, ldb, last,
                         accumulate, c, g->ldc);
}

/* C = A^T B (the weight gradient: the sum runs over a batch's rows) for C of
 * many rows (a first layer of hundreds of inputs), in blocks of FM_KC rows of
 * A and B and, inside a block, column block by column block, so that the
 * block of B a column block reads (FM_KC x FM_NV vectors) stays in the
 * first-level cache for every strip of C's rows, and A is read once per
 * column block rather than B once per strip (measured: a 784 x 100 weight
 * gradient of 200 rows at 72 GFLOP/s against 51 in float64 with AVX-512; for
 * C of a few hundred rows or fewer the strip order is faster).  Each element
 * of C is the sum of its blocks' chains, in block order: the same for every
 * split of C's rows. */
static void FM_NAME(fm_gemm_t)(const fm_gemm_args *g, const FM_T *b, ptrdiff_t ldb) {
    ptrdiff_t k0, j0, i0;
    for (k0 = 0; k0 < g->k; k0 += FM_KC) {
        ptrdiff_t kc = g->k - k0 < FM_KC ? g->k - k0 : FM_KC;
        for (j0 = 0; j0 < g->n; j0 += FM_NV * FM_VL) {
            for (i0 = 0; i0 + FM_MR <= g->m; i0 += FM_MR)
                FM_NAME(fm_block_t)(FM_MR, g, i0, j0, k0, kc, b, ldb);
            if (FM_MR > 4 && i0 + 4 <= g->m) {
                FM_NAME(fm_block_t)(4, g, i0, j0, k0, kc, b, ldb);
                i0 += 4;
            }
            if (i0 + 2 <= g->m) {
                FM_NAME(fm_block_t)(2, g, i0, j0, k0, kc, b, ldb);
                i0 += 2;
            }
            if (i0 < g->m) FM_NAME(fm_block_t)(1, g, i0, j0, k0, kc, b, ldb);
        }
    }
    if (g->k == 0 && !g->accumulate)
        for (i0 = 0; i0 < g->m; i0++)
            for (j0 = 0; j0 < g->n; j0++) ((FM_T *)g->c)[i0 * g->ldc + j0] = 0;
}

static void FM_NAME(fm_gemm)(const fm_gemm_args *g, const FM_T *b, ptrdiff_t ldb) {
    if (g->trans_a && !g->epi && g->m >= 512)
        FM_NAME(fm_gemm_t)(g, b, ldb);
    else if (g->trans_a)
        FM_STRIPS(1);
    else
        FM_STRIPS(0);
    if (g->colsum) FM_NAME(fm_strip)(2, 1, g, 0, b, ldb);
}

#undef FM_STRIPS
#undef FM_INLINE
#undef FM_T
#undef FM_SFX
#undef FM_V
#undef FM_VL
#undef FM_M
#undef FM_MASK
#undef FM_LOAD
#undef FM_LOADM
#undef FM_STORE
#undef FM_STOREM
#undef FM_SET1
#undef FM_ZERO
#undef FM_FMA
#undef FM_ADD
#undef FM_HSUM
