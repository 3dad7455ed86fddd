/* Body of the entry points fm_gemm_d / fm_gemm_s of gemm_kernels.h and of the
 * portable variant, included once per element type (see variants.h).  The
 * includer defines FM_T (double or float) and FM_SFX (_d or _s); this file
 * undefines them at its end. */

/* A kernel of gemm_simd.h by form, instruction set and tile: fm_gemm_rv_avx512_d8x3v. */
#define FM_KERNEL(form_isa, tile) FM_CAT(FM_CAT(form_isa, FM_SFX), tile)

/* The portable variant: C (m, n) = op(A) B for g, B(p, j) = b[p * sp + j * sj]: B
 * as stored (sp = ldb, sj = 1) or B^T read in place (sp = 1, sj = ldb).  Rows go
 * to the epilogue in strips of FM_ROW_TILE. */
static void FM_NAME(fm_gemm_portable)(const fm_gemm_args *g, const FM_T *b, ptrdiff_t sp,
                                      ptrdiff_t sj) {
    const FM_T *a = (const FM_T *)g->a;
    ptrdiff_t i0, i, j, p;
    for (i0 = 0; i0 < g->m; i0 += FM_ROW_TILE) {
        ptrdiff_t i1 = i0 + FM_ROW_TILE < g->m ? i0 + FM_ROW_TILE : g->m;
        for (i = i0; i < i1; i++) {
            FM_T *cr = (FM_T *)g->c + i * g->ldc;
            if (!g->accumulate)
                for (j = 0; j < g->n; j++) cr[j] = 0;
            for (p = 0; p < g->k; p++) {
                FM_T aip = g->trans_a ? a[(g->rows ? g->rows[p] : p) * g->lda + i]
                                      : a[(g->rows ? g->rows[i] : i) * g->lda + p];
                const FM_T *bp = b + p * sp;
                for (j = 0; j < g->n; j++) cr[j] += aip * bp[j * sj];
            }
        }
        if (g->epi) g->epi(g->ctx, i0, i1);
    }
    if (g->colsum) {
        FM_T *s = (FM_T *)g->colsum;
        for (p = 0; p < g->k; p++)
            for (j = 0; j < g->n; j++) s[j] += b[p * sp + j * sj];
    }
}

/* B (k, n) copied into pack (k * n elements) in the layout the form reads: when
 * trans_b, from B^T (n, k) at b (leading dimension ldb) into the rows of B, for
 * the broadcast form; otherwise from B (k, n) at b into the rows of B^T, for the
 * dot form.  Returns pack. */
static const FM_T *FM_NAME(fm_gemm_pack)(const fm_gemm_args *g, int trans_b,
                                         const FM_T *b, ptrdiff_t ldb, FM_T *pack) {
    ptrdiff_t p, j, j0;
    if (trans_b) {
        for (j0 = 0; j0 < g->n; j0 += 16)
            for (p = 0; p < g->k; p++)
                for (j = j0; j < g->n && j < j0 + 16; j++)
                    pack[p * g->n + j] = b[j * ldb + p];
    } else {
        for (p = 0; p < g->k; p++)
            for (j = 0; j < g->n; j++) pack[j * g->k + p] = b[p * ldb + j];
    }
    return pack;
}

/* C (m, n) = op(A) B for g (gemm.h) on the variant in use, B (k, n) at b (leading
 * dimension ldb), stored transposed (B^T (n, k)) when trans_b; g->pack holds at
 * least fm_gemm_pack_elems(g->trans_a, trans_b, g->colsum != NULL, n, k,
 * sizeof(FM_T)) elements. */
static void FM_NAME(fm_gemm)(const fm_gemm_args *g, int trans_b, const FM_T *b,
                             ptrdiff_t ldb) {
    int isa = fm_gemm_isa();
    int dot;
    if (g->m <= 0 && !g->colsum) return;
    if (g->n <= 0) return;
    if (isa == FM_ISA_GENERIC) {
        if (trans_b) FM_NAME(fm_gemm_portable)(g, b, 1, ldb);
        else FM_NAME(fm_gemm_portable)(g, b, ldb, 1);
        return;
    }
    dot = fm_gemm_dot_form(fm_gemm_vector_bytes(isa), g->trans_a, g->colsum != NULL, g->n,
                           g->k, sizeof(FM_T));
    if (dot != trans_b && g->k > 0) {
        b = FM_NAME(fm_gemm_pack)(g, trans_b, b, ldb, (FM_T *)g->pack);
        ldb = dot ? g->k : g->n;
    }
#ifdef FM_GEMM_X86
    if (dot && isa == FM_ISA_AVX512) FM_KERNEL(fm_gemm_rd_avx512, 4x4)(g, b, ldb);
    else if (dot) FM_KERNEL(fm_gemm_rd_avx2, 4x2)(g, b, ldb);
    else if (isa == FM_ISA_AVX512) FM_KERNEL(fm_gemm_rv_avx512, 8x3v)(g, b, ldb);
    else FM_KERNEL(fm_gemm_rv_avx2, 4x3v)(g, b, ldb);
#elif defined(FM_GEMM_NEON)
    if (dot) FM_KERNEL(fm_gemm_rd_neon, 4x4)(g, b, ldb);
    else FM_KERNEL(fm_gemm_rv_neon, 8x3v)(g, b, ldb);
#endif
}

#undef FM_KERNEL
#undef FM_T
#undef FM_SFX
