/* Body of the kernel tests of test_gemm.c, included once per element type: the
 * includer defines T (double or float), SFX (_d or _s) and FMA (fma or fmaf);
 * this file undefines them at its end. */

static T NAME(a_at)(const struct shape *s, const T *a, ptrdiff_t i, ptrdiff_t p) {
    return s->trans_a ? a[R(s, p) * LD + i] : a[R(s, i) * LD + p];
}

static T NAME(b_at)(const struct shape *s, const T *b, ptrdiff_t p, ptrdiff_t j) {
    return s->trans_b ? b[j * LD + p] : b[p * LD + j];
}

/* The rounding of gemm.h for element (i, j) of C = op(A) B, given A(i, p) and
 * B(p, j) through av/bv: the portable variant rounds every product and sum,
 * onto C's old value when accumulating; a vector variant runs one fused chain
 * over p from zero (the dot form: vl chains over p = l, l + vl, ..., summed by
 * halves) and then adds C's old value. */
static T NAME(ref_elem)(const struct shape *s, int isa, int dot, ptrdiff_t i, ptrdiff_t j,
                        const T *a, const T *b, T old) {
    ptrdiff_t p;
    int vl = fm_gemm_vector_bytes(isa) / (int)sizeof(T);
    if (isa == FM_ISA_GENERIC) {
        T acc = s->accumulate ? old : 0;
        for (p = 0; p < s->k; p++) acc += NAME(a_at)(s, a, i, p) * NAME(b_at)(s, b, p, j);
        return acc;
    }
    if (dot) {
        T ch[16] = {0};
        int w;
        for (p = 0; p < s->k; p++)
            ch[p % vl] = FMA(NAME(a_at)(s, a, i, p), NAME(b_at)(s, b, p, j), ch[p % vl]);
        for (w = vl / 2; w >= 1; w /= 2)
            for (p = 0; p < w; p++) ch[p] = ch[p] + ch[p + w];
        return s->accumulate ? old + ch[0] : ch[0];
    } else {
        T ch = 0;
        for (p = 0; p < s->k; p++)
            ch = FMA(NAME(a_at)(s, a, i, p), NAME(b_at)(s, b, p, j), ch);
        return s->accumulate ? old + ch : ch;
    }
}

struct NAME(epi_ctx) {
    const T *c, *ref;
    ptrdiff_t n, next;
    int ok;
};

/* The epilogue: rows i0..i1 come in increasing order, contiguous, and final. */
static void NAME(epi)(void *ctx, ptrdiff_t i0, ptrdiff_t i1) {
    struct NAME(epi_ctx) *e = (struct NAME(epi_ctx) *)ctx;
    ptrdiff_t i, j;
    if (i0 != e->next || i1 <= i0) e->ok = 0;
    for (i = i0; i < i1; i++)
        for (j = 0; j < e->n; j++)
            if (memcmp(&e->c[i * LD + j], &e->ref[i * LD + j], sizeof(T))) e->ok = 0;
    e->next = i1;
}

/* One product on variant isa: 1 when C, the column sums, the epilogue calls and
 * the guards around C and the pack buffer are as they must be. */
static int NAME(run_one)(const struct shape *s, int isa, const T *a, const T *b, T *c,
                         T *ref, T *cs, T *csref, T *pack) {
    ptrdiff_t i, j, p, npack;
    int dot = fm_gemm_dot_form(fm_gemm_vector_bytes(isa), s->trans_a, s->colsum, s->n,
                               s->k, sizeof(T));
    fm_gemm_args g;
    struct NAME(epi_ctx) e;
    int ok = 1;
    npack = fm_gemm_pack_elems(s->trans_a, s->trans_b, s->colsum, s->n, s->k, sizeof(T));
    for (i = 0; i < LD * LD; i++) c[i] = ref[i] = (T)(i % 7) - 3;
    for (j = 0; j < LD; j++) cs[j] = csref[j] = (T)(j % 5) - 2;
    for (i = 0; i < s->m; i++)
        for (j = 0; j < s->n; j++)
            ref[i * LD + j] = NAME(ref_elem)(s, isa, dot, i, j, a, b, c[i * LD + j]);
    if (s->colsum)
        for (j = 0; j < s->n; j++) {
            T sum = 0;
            if (isa == FM_ISA_GENERIC) sum = csref[j];
            for (p = 0; p < s->k; p++) sum += NAME(b_at)(s, b, p, j);
            csref[j] = isa == FM_ISA_GENERIC ? sum : csref[j] + sum;
        }
    for (i = 0; i < npack + GUARD; i++) pack[i] = (T)-77;
    memset(&g, 0, sizeof g);
    g.trans_a = s->trans_a;
    g.m = s->m;
    g.n = s->n;
    g.k = s->k;
    g.a = a;
    g.lda = LD;
    g.rows = s->rows ? ROWS : NULL;
    g.accumulate = s->accumulate;
    g.c = c;
    g.ldc = LD;
    g.colsum = s->colsum ? cs : NULL;
    e.c = c;
    e.ref = ref;
    e.n = s->n;
    e.next = 0;
    e.ok = 1;
    if (s->epi) {
        g.epi = NAME(epi);
        g.ctx = &e;
    }
    g.pack = npack ? pack : NULL;
    NAME(fm_gemm)(&g, s->trans_b, b, LD);
    if (memcmp(c, ref, sizeof(T) * LD * LD) || memcmp(cs, csref, sizeof(T) * LD)) ok = 0;
    if (s->epi && (!e.ok || e.next != s->m)) ok = 0;
    for (i = npack; i < npack + GUARD; i++)
        if (pack[i] != (T)-77) ok = 0;
    return ok;
}

/* Every shape m, n, k of 1..MAXDIM (and a k-blocked A^T B) for every option set
 * of OPTS on variant isa. */
static void NAME(test_isa)(int isa, int maxdim) {
    static T a[LD * LD], b[LD * LD], c[LD * LD], ref[LD * LD], cs[LD], csref[LD];
    static T pack[LD * LD + GUARD];
    static T big_a[KB_K * KB_M], big_b[KB_K * LD], big_c[KB_M * LD];
    char what[200];
    unsigned o;
    ptrdiff_t i;
    for (i = 0; i < LD * LD; i++) {
        a[i] = (T)rnd();
        b[i] = (T)rnd();
    }
    for (o = 0; o < sizeof OPTS / sizeof *OPTS; o++) {
        struct shape s = OPTS[o];
        long bad = 0, done = 0;
        for (s.m = 1; s.m <= maxdim; s.m++)
            for (s.n = 1; s.n <= maxdim; s.n++)
                for (s.k = 1; s.k <= maxdim; s.k++) {
                    if (!NAME(run_one)(&s, isa, a, b, c, ref, cs, csref, pack)) {
                        if (!bad)
                            printf("     first failure: m %td n %td k %td\n", s.m, s.n,
                                   s.k);
                        bad++;
                    }
                    done++;
                }
        snprintf(what, sizeof what,
                 "%s %s: trans_a %d trans_b %d rows %d colsum %d accumulate %d epilogue "
                 "%d: %ld shapes, %ld wrong",
                 ISA_NAME(isa), TNAME, s.trans_a, s.trans_b, s.rows, s.colsum,
                 s.accumulate, s.epi, done, bad);
        check(bad == 0, what);
    }
    /* the k-blocked A^T B (m >= FM_KC_MIN_M): per element, the chains of the
     * blocks of FM_KC rows, added in block order */
    {
        fm_gemm_args g;
        ptrdiff_t j, p, n, k = KB_K;
        long bad = 0;
        for (i = 0; i < KB_K * KB_M; i++) big_a[i] = (T)rnd();
        for (i = 0; i < KB_K * LD; i++) big_b[i] = (T)rnd();
        for (n = 1; n <= maxdim; n += 8) {
            for (i = 0; i < KB_M * LD; i++) big_c[i] = 1;
            memset(&g, 0, sizeof g);
            g.trans_a = 1;
            g.m = KB_M;
            g.n = n;
            g.k = k;
            g.a = big_a;
            g.lda = KB_M;
            g.accumulate = 1;
            g.c = big_c;
            g.ldc = LD;
            NAME(fm_gemm)(&g, 0, big_b, LD);
            for (i = 0; i < KB_M; i++)
                for (j = 0; j < n; j++) {
                    T want = 1;
                    if (isa == FM_ISA_GENERIC) {
                        for (p = 0; p < k; p++)
                            want += big_a[p * KB_M + i] * big_b[p * LD + j];
                    } else {
                        ptrdiff_t k0;
                        for (k0 = 0; k0 < k; k0 += KC_OF(isa)) {
                            T ch = 0;
                            for (p = k0; p < k && p < k0 + KC_OF(isa); p++)
                                ch = FMA(big_a[p * KB_M + i], big_b[p * LD + j], ch);
                            want = want + ch;
                        }
                    }
                    if (memcmp(&want, &big_c[i * LD + j], sizeof(T))) bad++;
                }
        }
        snprintf(what, sizeof what, "%s %s: k-blocked A^T B, m %d k %d: %ld wrong",
                 ISA_NAME(isa), TNAME, KB_M, KB_K, bad);
        check(bad == 0, what);
    }
}

#undef T
#undef SFX
#undef FMA
#undef TNAME
