/* Body of the vector kernels of gemm.h (its table: forms, tiles, registers),
 * included once per instruction set and element type (see variants.h).  The
 * includer defines, per instruction set:
 *
 *   FM_ISA          name part: _avx512, _avx2 or _neon
 *   FM_NREGS        vector registers of the instruction set
 *   FM_MR  FM_NV    broadcast form (rv): rows and vectors per row of a full tile
 *                   (FM_MR a power of two dividing FM_ROW_TILE; FM_NV 1..3)
 *   FM_KC           rows of A and B per block of the k-blocked A^T B
 *   FM_RD_MR  FM_RD_NR  dot form (rd): rows and most columns of a tile (1..4)
 *
 * which stay defined for the next element type, and per element type:
 *
 *   FM_T            element type (double or float);  FM_SFX  _d or _s
 *   FM_V            vector type;  FM_VL  its number of elements
 *   FM_M            mask type;    FM_MASK(r): the first r lanes (1 <= r <= FM_VL)
 *   FM_LOAD(p)  FM_LOADM(p, m)  FM_STORE(p, v)  FM_STOREM(p, m, v)
 *   FM_SET1(x)  FM_ZERO()  FM_FMA(a, b, c) = a * b + c  FM_ADD(a, b)
 *   FM_HSUM(v)      the sum of v's elements
 *
 * which this file undefines at its end, and on x86-64 wraps the include in a
 * target pragma.
 * It defines the kernels fm_gemm_rv<FM_ISA><FM_SFX><MR>x<NV>v (broadcast form)
 * and fm_gemm_rd<FM_ISA><FM_SFX><RD_MR>x<RD_NR> (dot form), e.g.
 * fm_gemm_rv_avx512_d8x3v, each C = op(A) B for the g of gemm.h with B (k, n)
 * row-major at b (leading dimension ldb) for the broadcast form, B^T (n, k) for
 * the dot form.  Every element of C is one chain of fused multiply-adds over
 * p = 0..k-1 in increasing order (in the dot form: FM_VL chains over p = l,
 * l + FM_VL, ..., summed by FM_HSUM), whatever tile or strip it falls in. */

/* Helpers: name_avx512_d; kernels: the name with the tile. */
#define FM_KNAME(name) FM_CAT(FM_CAT(name, FM_ISA), FM_SFX)
#define FM_RV_KERNEL                                                                     \
    FM_CAT(FM_CAT(FM_CAT(FM_CAT(FM_KNAME(fm_gemm_rv), FM_MR), x), FM_NV), v)
#define FM_RD_KERNEL FM_CAT(FM_CAT(FM_CAT(FM_KNAME(fm_gemm_rd), FM_RD_MR), x), FM_RD_NR)
/* FM_UNROLL: unroll the loop that follows whole.  The loops over a tile's rows
 * and vectors have a constant trip count only once the FM_ALWAYS_INLINE helpers
 * below are inlined into a kernel, and only unrolled whole do they keep the
 * tile's accumulators in registers.  GCC unrolls after inlining, by its "unroll
 * n"; clang applies its unroll pragmas to a helper before inlining, where a count
 * becomes a partial unroll whose remainder loop stays rolled (the accumulators
 * then live on the stack), so clang gets "unroll(full)", which waits for a known
 * trip count. */
#define FM_PRAGMA(text) _Pragma(#text)
#ifdef __clang__
#define FM_UNROLL(n) FM_PRAGMA(clang loop unroll(full))
#else
#define FM_UNROLL(n) FM_PRAGMA(GCC unroll n)
#endif

_Static_assert(FM_ROW_TILE % FM_MR == 0 && FM_ROW_TILE % FM_RD_MR == 0,
               "FM_ROW_TILE is a multiple of every tile's rows");
_Static_assert(FM_NV + 1 + FM_MR * FM_NV <= FM_NREGS, "rv tile: B, A and C in registers");
_Static_assert(FM_RD_NR + 1 + FM_RD_MR * FM_RD_NR <= FM_NREGS,
               "rd tile: B^T, A and C in registers");

/* One broadcast tile: C (mr, nv * FM_VL) at c (ldc) = A (mr, k) B (k, nv * FM_VL),
 * B at b (ldb), plus C when `accumulate`; mr <= FM_MR, nv <= FM_NV.  The last
 * vector of a row is masked with `last` when `masked` (a full tile uses plain
 * loads and stores and keeps no mask in a vector register: AVX2 has 16 of them).
 * `how` says where A(i, p) is (enum fm_tile_a). */
FM_ALWAYS_INLINE void FM_KNAME(fm_rv_tile)(const int how, const int mr, const int nv,
                                           const int masked, ptrdiff_t k,
                                           const FM_T *const *ar, const FM_T *a,
                                           ptrdiff_t lda, const ptrdiff_t *rows,
                                           const FM_T *b, ptrdiff_t ldb, FM_M last,
                                           int accumulate, FM_T *c, ptrdiff_t ldc) {
    FM_V acc[FM_MR][FM_NV];
    const FM_T *row[FM_MR];
    ptrdiff_t p;
    int i, v;
    FM_UNROLL(8)
    for (i = 0; i < mr; i++) {
        row[i] = how == FM_A_ROWS ? ar[i] : NULL;
        FM_UNROLL(4)
        for (v = 0; v < nv; v++) acc[i][v] = FM_ZERO();
    }
    for (p = 0; p < k; p++) {
        const FM_T *bp = b + p * ldb;
        FM_V bv[FM_NV];
        FM_UNROLL(4)
        for (v = 0; v < nv; v++)
            bv[v] = masked && v == nv - 1 ? FM_LOADM(bp + v * FM_VL, last)
                                          : FM_LOAD(bp + v * FM_VL);
        if (how == FM_A_ONES) {
            FM_UNROLL(4)
            for (v = 0; v < nv; v++) acc[0][v] = FM_ADD(acc[0][v], bv[v]);
        } else if (how == FM_A_TRANSPOSED) {
            const FM_T *ap = a + (rows ? rows[p] : p) * lda;
            FM_UNROLL(8)
            for (i = 0; i < mr; i++) {
                FM_V ai = FM_SET1(ap[i]);
                FM_UNROLL(4)
                for (v = 0; v < nv; v++) acc[i][v] = FM_FMA(ai, bv[v], acc[i][v]);
            }
        } else {
            FM_UNROLL(8)
            for (i = 0; i < mr; i++) {
                FM_V ai = FM_SET1(row[i][p]);
                FM_UNROLL(4)
                for (v = 0; v < nv; v++) acc[i][v] = FM_FMA(ai, bv[v], acc[i][v]);
            }
        }
    }
    FM_UNROLL(8)
    for (i = 0; i < mr; i++) {
        FM_T *cr = c + i * ldc;
        FM_UNROLL(4)
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

/* The broadcast tiles of rows i0..i0+mr of C (m, n) = op(A) B, all n columns
 * (with FM_A_ONES: colsum (n) += the column sums of B (k, n), mr = 1).  Constant
 * `how` and mr, so that each call below compiles to fully unrolled tiles. */
FM_ALWAYS_INLINE void FM_KNAME(fm_rv_strip)(const int how, const int mr,
                                            const fm_gemm_args *g, ptrdiff_t i0,
                                            const FM_T *b, ptrdiff_t ldb) {
    const FM_T *a = (const FM_T *)g->a;
    const FM_T *ar[FM_MR];
    FM_T *c = how == FM_A_ONES ? (FM_T *)g->colsum : (FM_T *)g->c + i0 * g->ldc;
    int accumulate = how == FM_A_ONES ? 1 : g->accumulate;
    const ptrdiff_t width = FM_NV * FM_VL;
    ptrdiff_t j0;
    int i;
    if (how == FM_A_ROWS) {
        for (i = 0; i < mr; i++)
            ar[i] = a + (g->rows ? g->rows[i0 + i] : i0 + i) * g->lda;
    } else if (how == FM_A_TRANSPOSED) {
        a += i0;
    }
    for (j0 = 0; j0 < g->n; j0 += width) {
        ptrdiff_t w = g->n - j0 < width ? g->n - j0 : width;
        int nv = (int)((w + FM_VL - 1) / FM_VL);
        FM_M last = FM_MASK((int)(w - (nv - 1) * FM_VL));
        if (w == width)
            FM_KNAME(fm_rv_tile)(how, mr, FM_NV, 0, g->k, ar, a, g->lda, g->rows, b + j0,
                                 ldb, last, accumulate, c + j0, g->ldc);
        else if (nv == FM_NV)
            FM_KNAME(fm_rv_tile)(how, mr, FM_NV, 1, g->k, ar, a, g->lda, g->rows, b + j0,
                                 ldb, last, accumulate, c + j0, g->ldc);
#if FM_NV > 2
        else if (nv == 2)
            FM_KNAME(fm_rv_tile)(how, mr, 2, 1, g->k, ar, a, g->lda, g->rows, b + j0, ldb,
                                 last, accumulate, c + j0, g->ldc);
#endif
        else
            FM_KNAME(fm_rv_tile)(how, mr, 1, 1, g->k, ar, a, g->lda, g->rows, b + j0, ldb,
                                 last, accumulate, c + j0, g->ldc);
    }
}

/* Every row of C (m, n) = op(A) B in strips of FM_MR rows, then the rest in
 * strips of decreasing powers of two (no row computed twice), each strip's
 * epilogue as soon as it is done. */
FM_ALWAYS_INLINE void FM_KNAME(fm_rv_strips)(const int how, const fm_gemm_args *g,
                                             const FM_T *b, ptrdiff_t ldb) {
    ptrdiff_t i0 = 0;
    for (; i0 + FM_MR <= g->m; i0 += FM_MR) {
        FM_KNAME(fm_rv_strip)(how, FM_MR, g, i0, b, ldb);
        if (g->epi) g->epi(g->ctx, i0, i0 + FM_MR);
    }
    if (FM_MR > 4 && i0 + 4 <= g->m) {
        FM_KNAME(fm_rv_strip)(how, 4, g, i0, b, ldb);
        if (g->epi) g->epi(g->ctx, i0, i0 + 4);
        i0 += 4;
    }
    if (i0 + 2 <= g->m) {
        FM_KNAME(fm_rv_strip)(how, 2, g, i0, b, ldb);
        if (g->epi) g->epi(g->ctx, i0, i0 + 2);
        i0 += 2;
    }
    if (i0 < g->m) {
        FM_KNAME(fm_rv_strip)(how, 1, g, i0, b, ldb);
        if (g->epi) g->epi(g->ctx, i0, i0 + 1);
    }
}

/* One dot-form tile: C (mr, nc) at c (ldc) = A (mr, k) Bt^T, A's rows at ar[i],
 * Bt (nc, k) at bt (ldbt), plus C when `accumulate`; vectors along p, the tail of
 * k masked.  mr <= FM_RD_MR, nc <= FM_RD_NR. */
FM_ALWAYS_INLINE void FM_KNAME(fm_rd_tile)(const int mr, const int nc, ptrdiff_t k,
                                           const FM_T *const *ar, const FM_T *bt,
                                           ptrdiff_t ldbt, int accumulate, FM_T *c,
                                           ptrdiff_t ldc) {
    FM_V acc[FM_RD_MR][FM_RD_NR];
    ptrdiff_t p = 0;
    int i, j;
    FM_UNROLL(4)
    for (i = 0; i < mr; i++)
        FM_UNROLL(4)
        for (j = 0; j < nc; j++) acc[i][j] = FM_ZERO();
    for (; p + FM_VL <= k; p += FM_VL) {
        FM_V bv[FM_RD_NR];
        FM_UNROLL(4)
        for (j = 0; j < nc; j++) bv[j] = FM_LOAD(bt + j * ldbt + p);
        FM_UNROLL(4)
        for (i = 0; i < mr; i++) {
            FM_V av = FM_LOAD(ar[i] + p);
            FM_UNROLL(4)
            for (j = 0; j < nc; j++) acc[i][j] = FM_FMA(av, bv[j], acc[i][j]);
        }
    }
    if (p < k) {
        FM_M tail = FM_MASK((int)(k - p));
        FM_V bv[FM_RD_NR];
        FM_UNROLL(4)
        for (j = 0; j < nc; j++) bv[j] = FM_LOADM(bt + j * ldbt + p, tail);
        FM_UNROLL(4)
        for (i = 0; i < mr; i++) {
            FM_V av = FM_LOADM(ar[i] + p, tail);
            FM_UNROLL(4)
            for (j = 0; j < nc; j++) acc[i][j] = FM_FMA(av, bv[j], acc[i][j]);
        }
    }
    FM_UNROLL(4)
    for (i = 0; i < mr; i++)
        FM_UNROLL(4)
        for (j = 0; j < nc; j++) {
            FM_T s = FM_HSUM(acc[i][j]);
            c[i * ldc + j] = accumulate ? c[i * ldc + j] + s : s;
        }
}

/* The dot-form tiles of rows i0..i0+mr of C (m, n) = A Bt^T, all n columns. */
FM_ALWAYS_INLINE void FM_KNAME(fm_rd_strip)(const int mr, const fm_gemm_args *g,
                                            ptrdiff_t i0, const FM_T *bt,
                                            ptrdiff_t ldbt) {
    const FM_T *a = (const FM_T *)g->a;
    const FM_T *ar[FM_RD_MR];
    FM_T *c = (FM_T *)g->c + i0 * g->ldc;
    ptrdiff_t j0;
    int i;
    for (i = 0; i < mr; i++) ar[i] = a + (g->rows ? g->rows[i0 + i] : i0 + i) * g->lda;
    for (j0 = 0; j0 < g->n; j0 += FM_RD_NR) {
        ptrdiff_t nc = g->n - j0 < FM_RD_NR ? g->n - j0 : FM_RD_NR;
        const FM_T *b = bt + j0 * ldbt;
        switch (nc) {
#if FM_RD_NR >= 4
        case 4:
            FM_KNAME(fm_rd_tile)(mr, 4, g->k, ar, b, ldbt, g->accumulate, c + j0, g->ldc);
            break;
#endif
#if FM_RD_NR >= 3
        case 3:
            FM_KNAME(fm_rd_tile)(mr, 3, g->k, ar, b, ldbt, g->accumulate, c + j0, g->ldc);
            break;
#endif
        case 2:
            FM_KNAME(fm_rd_tile)(mr, 2, g->k, ar, b, ldbt, g->accumulate, c + j0, g->ldc);
            break;
        default:
            FM_KNAME(fm_rd_tile)(mr, 1, g->k, ar, b, ldbt, g->accumulate, c + j0, g->ldc);
        }
    }
}

/* The dot form: C (m, n) = A (m, k) Bt^T, A read by rows (through g->rows),
 * Bt (n, k) at bt (leading dimension ldbt); no column sums. */
static void FM_RD_KERNEL(const fm_gemm_args *g, const FM_T *bt, ptrdiff_t ldbt) {
    ptrdiff_t i0 = 0;
    for (; i0 + FM_RD_MR <= g->m; i0 += FM_RD_MR) {
        FM_KNAME(fm_rd_strip)(FM_RD_MR, g, i0, bt, ldbt);
        if (g->epi) g->epi(g->ctx, i0, i0 + FM_RD_MR);
    }
    if (FM_RD_MR > 2 && i0 + 2 <= g->m) {
        FM_KNAME(fm_rd_strip)(2, g, i0, bt, ldbt);
        if (g->epi) g->epi(g->ctx, i0, i0 + 2);
        i0 += 2;
    }
    if (i0 < g->m) {
        FM_KNAME(fm_rd_strip)(1, g, i0, bt, ldbt);
        if (g->epi) g->epi(g->ctx, i0, i0 + 1);
    }
}

/* One column block (from j0, FM_NV vectors wide) of rows i0..i0+mr of C (m, n) =
 * A^T B over the rows k0..k0+kc of A (k, m) and B (k, n), added into C after the
 * first block. */
FM_ALWAYS_INLINE void FM_KNAME(fm_rv_kc_tile)(const int mr, const fm_gemm_args *g,
                                              ptrdiff_t i0, ptrdiff_t j0, ptrdiff_t k0,
                                              ptrdiff_t kc, const FM_T *b,
                                              ptrdiff_t ldb) {
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
        FM_KNAME(fm_rv_tile)(FM_A_TRANSPOSED, mr, FM_NV, 0, kc, NULL, a, g->lda, rows, b,
                             ldb, last, accumulate, c, g->ldc);
    else if (nv == FM_NV)
        FM_KNAME(fm_rv_tile)(FM_A_TRANSPOSED, mr, FM_NV, 1, kc, NULL, a, g->lda, rows, b,
                             ldb, last, accumulate, c, g->ldc);
#if FM_NV > 2
    else if (nv == 2)
        FM_KNAME(fm_rv_tile)(FM_A_TRANSPOSED, mr, 2, 1, kc, NULL, a, g->lda, rows, b, ldb,
                             last, accumulate, c, g->ldc);
#endif
    else
        FM_KNAME(fm_rv_tile)(FM_A_TRANSPOSED, mr, 1, 1, kc, NULL, a, g->lda, rows, b, ldb,
                             last, accumulate, c, g->ldc);
}

/* C (m, n) = A^T B, A (k, m) read through g->rows, B (k, n) at b (ldb), for C of
 * at least FM_KC_MIN_M rows (the weight gradient of a wide first layer: the sum
 * runs over a batch's rows): in blocks of FM_KC rows of A and B and, inside a
 * block, column block by column block, so that the block of B a column block
 * reads (FM_KC x FM_NV vectors) stays in the first-level cache for every strip of
 * C's rows, and A is read once per column block rather than B once per strip.
 * Each element of C is the sum of its blocks' chains, in block order. */
static void FM_KNAME(fm_rv_at_kblocked)(const fm_gemm_args *g, const FM_T *b,
                                        ptrdiff_t ldb) {
    ptrdiff_t k0, j0, i0;
    for (k0 = 0; k0 < g->k; k0 += FM_KC) {
        ptrdiff_t kc = g->k - k0 < FM_KC ? g->k - k0 : FM_KC;
        for (j0 = 0; j0 < g->n; j0 += FM_NV * FM_VL) {
            for (i0 = 0; i0 + FM_MR <= g->m; i0 += FM_MR)
                FM_KNAME(fm_rv_kc_tile)(FM_MR, g, i0, j0, k0, kc, b, ldb);
            if (FM_MR > 4 && i0 + 4 <= g->m) {
                FM_KNAME(fm_rv_kc_tile)(4, g, i0, j0, k0, kc, b, ldb);
                i0 += 4;
            }
            if (i0 + 2 <= g->m) {
                FM_KNAME(fm_rv_kc_tile)(2, g, i0, j0, k0, kc, b, ldb);
                i0 += 2;
            }
            if (i0 < g->m) FM_KNAME(fm_rv_kc_tile)(1, g, i0, j0, k0, kc, b, ldb);
        }
    }
    if (g->k == 0 && !g->accumulate)
        for (i0 = 0; i0 < g->m; i0++)
            for (j0 = 0; j0 < g->n; j0++) ((FM_T *)g->c)[i0 * g->ldc + j0] = 0;
}

/* The broadcast form: C (m, n) = op(A) B, B (k, n) at b (leading dimension ldb),
 * and the column sums of B into g->colsum. */
static void FM_RV_KERNEL(const fm_gemm_args *g, const FM_T *b, ptrdiff_t ldb) {
    if (g->trans_a && !g->epi && g->m >= FM_KC_MIN_M)
        FM_KNAME(fm_rv_at_kblocked)(g, b, ldb);
    else if (g->trans_a) FM_KNAME(fm_rv_strips)(FM_A_TRANSPOSED, g, b, ldb);
    else FM_KNAME(fm_rv_strips)(FM_A_ROWS, g, b, ldb);
    if (g->colsum) FM_KNAME(fm_rv_strip)(FM_A_ONES, 1, g, 0, b, ldb);
}

#undef FM_KNAME
#undef FM_RV_KERNEL
#undef FM_RD_KERNEL
#undef FM_UNROLL
#undef FM_PRAGMA
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
