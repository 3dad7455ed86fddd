/* Body of the loop tests of test_loops.c, included once per element type: the
 * includer defines T, SFX, TBL (the table type), TNAME, TINY (a subnormal), BIG
 * (a large finite value) and EXPMAX (where exp overflows); this file undefines
 * them at its end. */

/* The inputs' special values: the first NAME(N_FINITE) are finite. */
static const T NAME(SPECIAL)[] = {0,        -0.0f,     (T)0.5,  (T)-0.5, TINY,
                                  -TINY,    EXPMAX,    -EXPMAX, BIG,     -BIG,
                                  INFINITY, -INFINITY, NAN};
#define N_SPECIAL ((int)(sizeof NAME(SPECIAL) / sizeof *NAME(SPECIAL)))
#define N_FINITE (N_SPECIAL - 3)

/* The input arrays (each with room for an offset of up to 3 elements) and two
 * output sets: the scalar build's and the variant's. */
static T NAME(in)[6][MAXN + 3];
static T NAME(out_r)[4][MAXN + 3], NAME(out_v)[4][MAXN + 3];

/* x[0..n): uniform in [lo, hi), every fifth element (from the third on) one of
 * the first `specials` special values in turn. */
static void NAME(fill)(T *x, ptrdiff_t n, double lo, double hi, int specials) {
    ptrdiff_t i;
    static int k;
    for (i = 0; i < n; i++) x[i] = (T)(lo + (hi - lo) * u01(&rng_state));
    if (specials)
        for (i = 2; i < n; i += 5) x[i] = NAME(SPECIAL)[k++ % specials];
}

/* x, y (n): the same bits, or both NaN; prints the first differences. */
static int NAME(same)(const T *x, const T *y, ptrdiff_t n, const char *what) {
    ptrdiff_t i;
    for (i = 0; i < n; i++) {
        if (x[i] != x[i] && y[i] != y[i]) continue;
        if (memcmp(&x[i], &y[i], sizeof(T)) == 0) continue;
        if (reported++ < 3)
            printf("     %s: %s[%ld] %a (scalar) vs %a\n", where, what, (long)i,
                   (double)x[i], (double)y[i]);
        return 0;
    }
    return 1;
}

/* The output arrays o of both sets from the same input: copies of x. */
static void NAME(copy2)(int o, const T *x, ptrdiff_t n, ptrdiff_t off) {
    memcpy(NAME(out_r)[o] + off, x, (size_t)n * sizeof(T));
    memcpy(NAME(out_v)[o] + off, x, (size_t)n * sizeof(T));
}

#define R(o) (NAME(out_r)[o] + off)
#define V(o) (NAME(out_v)[o] + off)
#define INP(o) (NAME(in)[o] + off)

static int NAME(t_bias_act)(const TBL *r, const TBL *v) {
    int act, ok = 1, rows;
    ptrdiff_t cols, off;
    for (act = 0; act < FM_N_ACTIVATIONS; act++)
        for (rows = 1; rows <= 5; rows++)
            for (cols = 1; cols <= 37; cols++) {
                ptrdiff_t n = rows * cols;
                off = (rows + cols) % 4;
                snprintf(where, sizeof where, "%s rows %d cols %ld",
                         fm_activation_name(act), rows, (long)cols);
                NAME(fill)(INP(0), n, -8, 8, N_SPECIAL);
                NAME(fill)(INP(1), cols, -2, 2, cols > 10 ? N_FINITE : 0);
                r->bias_act(INP(0), INP(1), R(0), rows, cols, act);
                v->bias_act(INP(0), INP(1), V(0), rows, cols, act);
                ok &= NAME(same)(R(0), V(0), n, "out");
                /* in place */
                NAME(copy2)(1, INP(0), n, off);
                r->bias_act(R(1), INP(1), R(1), rows, cols, act);
                v->bias_act(V(1), INP(1), V(1), rows, cols, act);
                ok &= NAME(same)(R(1), V(1), n, "z (in place)");
                ok &= NAME(same)(R(0), R(1), n, "in place vs out of place");
                /* the pre-activation kept for the derivatives */
                NAME(copy2)(2, INP(0), n, off);
                r->add_bias(R(2), INP(1), rows, cols);
                v->add_bias(V(2), INP(1), rows, cols);
                ok &= NAME(same)(R(2), V(2), n, "add_bias z");
            }
    return ok;
}

static int NAME(t_act_deriv)(const TBL *r, const TBL *v) {
    int act, ok = 1;
    ptrdiff_t n, off;
    for (act = 0; act < FM_N_ACTIVATIONS; act++)
        for (n = 1; n <= 70; n++) {
            off = n % 4;
            snprintf(where, sizeof where, "%s n %ld", fm_activation_name(act), (long)n);
            NAME(fill)(INP(0), n, -3, 3, N_SPECIAL); /* a */
            NAME(fill)(INP(1), n, -8, 8, N_SPECIAL); /* z */
            NAME(fill)(INP(2), n, -2, 2, N_SPECIAL); /* delta */
            NAME(copy2)(0, INP(2), n, off);
            r->act_deriv(INP(0), INP(1), R(0), n, act);
            v->act_deriv(INP(0), INP(1), V(0), n, act);
            ok &= NAME(same)(R(0), V(0), n, "delta");
        }
    return ok;
}

/* y of loss `loss` (rows, cols): one-hot rows for the multiclass losses, 0 or 1
 * for the binary ones, counts for poisson, reals otherwise. */
static void NAME(targets)(T *y, int rows, ptrdiff_t cols, int loss) {
    ptrdiff_t i, n = rows * cols;
    int r;
    for (i = 0; i < n; i++) {
        double u = u01(&rng_state);
        switch (loss) {
        case FM_LOG_LOSS:
        case FM_HINGE:
        case FM_SQUARED_HINGE: y[i] = 0; break;
        case FM_BINARY_LOG_LOSS:
        case FM_BINARY_HINGE:
        case FM_BINARY_SQUARED_HINGE: y[i] = u < 0.5 ? 0 : 1; break;
        case FM_POISSON: y[i] = (T)(int)(4 * u); break;
        default: y[i] = (T)(6 * u - 3);
        }
    }
    if (loss == FM_LOG_LOSS || loss == FM_HINGE || loss == FM_SQUARED_HINGE)
        for (r = 0; r < rows; r++)
            y[r * cols + (ptrdiff_t)(u01(&rng_state) * (double)cols)] = 1;
}

static int NAME(t_loss_delta)(const TBL *r, const TBL *v) {
    /* every output activation the loss meets in the estimators, and others
     * whose derivative needs no z */
    static const int ACTS[] = {FM_IDENTITY, FM_LOGISTIC, FM_SOFTMAX, FM_EXP,
                               FM_TANH,     FM_RELU,     FM_SOFTPLUS};
    int loss, a, ok = 1, rows;
    ptrdiff_t cols, off, i;
    for (loss = 0; loss < FM_N_LOSSES; loss++)
        for (a = 0; a < (int)(sizeof ACTS / sizeof *ACTS); a++)
            for (rows = 1; rows <= 5; rows += 2)
                for (cols = 1; cols <= 37; cols++) {
                    ptrdiff_t n = rows * cols;
                    double tr, tv;
                    off = (rows + cols) % 4;
                    snprintf(where, sizeof where, "%s, %s rows %d cols %ld",
                             fm_loss_name(loss), fm_activation_name(ACTS[a]), rows,
                             (long)cols);
                    /* outputs in (0, 1) with some 0, 1 and subnormals */
                    NAME(fill)(INP(0), n, 0, 1, 0);
                    for (i = 3; i < n; i += 7)
                        INP(0)[i] = i % 3 == 0 ? 0 : i % 3 == 1 ? 1 : TINY;
                    NAME(targets)(INP(1), rows, cols, loss);
                    NAME(fill)(INP(2), rows, 0.25, 2, 0); /* sample weights */
                    tr = r->loss_delta(INP(0), INP(1), INP(2), R(0), rows, cols, loss,
                                       ACTS[a], 1.35);
                    tv = v->loss_delta(INP(0), INP(1), INP(2), V(0), rows, cols, loss,
                                       ACTS[a], 1.35);
                    ok &= NAME(same)(R(0), V(0), n, "delta");
                    ok &= same_ret(tr, tv, "loss");
                }
    return ok;
}

static int NAME(t_sums)(const TBL *r, const TBL *v) {
    int ok = 1, rows;
    ptrdiff_t cols, off, n;
    for (rows = 1; rows <= 5; rows++)
        for (cols = 1; cols <= 37; cols++) {
            n = rows * cols;
            off = (rows + cols) % 4;
            snprintf(where, sizeof where, "colsum_add rows %d cols %ld", rows,
                     (long)cols);
            NAME(fill)(INP(0), n, -4, 4, N_SPECIAL);
            NAME(fill)(INP(1), cols, -4, 4, N_FINITE);
            NAME(copy2)(0, INP(1), cols, off);
            r->colsum_add(INP(0), R(0), rows, cols);
            v->colsum_add(INP(0), V(0), rows, cols);
            ok &= NAME(same)(R(0), V(0), cols, "out");
        }
    for (n = 1; n <= 70; n++) {
        double sr, sv;
        off = n % 4;
        snprintf(where, sizeof where, "add_vec, sum_squares n %ld", (long)n);
        NAME(fill)(INP(0), n, -4, 4, N_SPECIAL);
        NAME(fill)(INP(1), n, -4, 4, N_SPECIAL);
        NAME(copy2)(0, INP(1), n, off);
        r->add_vec(R(0), INP(0), n);
        v->add_vec(V(0), INP(0), n);
        ok &= NAME(same)(R(0), V(0), n, "y");
        NAME(fill)(INP(0), n, -4, 4, n % 2 ? N_FINITE : 0);
        sr = r->sum_squares(INP(0), n);
        sv = v->sum_squares(INP(0), n);
        ok &= same_ret(sr, sv, "sum of squares");
    }
    return ok;
}

/* fm_all_finite on finite arrays and with one infinity or NaN anywhere,
 * against the truth as well. */
static int NAME(t_all_finite)(const TBL *r, const TBL *v) {
    static const T BAD[] = {INFINITY, -INFINITY, NAN};
    int ok = 1, b;
    ptrdiff_t n, at, off = 1;
    for (n = 1; n <= 70; n++)
        for (at = -1; at < n; at++)
            for (b = 0; b < 3; b++) {
                int truth = at < 0, fr, fv;
                if (at < 0 && b > 0) continue;
                snprintf(where, sizeof where, "all_finite n %ld, non-finite at %ld",
                         (long)n, (long)at);
                NAME(fill)(INP(0), n, -BIG, BIG, N_FINITE);
                if (at >= 0) INP(0)[at] = BAD[b];
                fr = r->all_finite(INP(0), n);
                fv = v->all_finite(INP(0), n);
                ok &= same_ret(fr, truth, "scalar build vs the truth");
                ok &= same_ret(fr, fv, "answer");
            }
    return ok;
}

static int NAME(t_score_rows)(const TBL *r, const TBL *v) {
    int rule, ok = 1, rows;
    ptrdiff_t cols, off, n, j;
    for (rule = 0; rule < FM_N_SCORE_RULES; rule++)
        for (rows = 1; rows <= 5; rows++)
            for (cols = 1; cols <= 37; cols++) {
                double sums_r[37] = {0}, sums_v[37] = {0};
                int fr, fv;
                n = rows * cols;
                off = (rows + cols) % 4;
                snprintf(where, sizeof where, "%s rows %d cols %ld",
                         fm_score_rule_name(rule), rows, (long)cols);
                NAME(fill)(INP(0), n, -1, 2, rows == 3 ? N_SPECIAL : N_FINITE);
                NAME(targets)(INP(1), rows, cols,
                              rule == FM_SCORE_ARGMAX      ? FM_LOG_LOSS
                              : rule == FM_SCORE_RESIDUALS ? FM_SQUARED
                                                           : FM_BINARY_LOG_LOSS);
                NAME(fill)(INP(2), rows, 0.25, 2, 0);
                fr = r->score_rows(INP(0), INP(1), INP(2), rows, cols, rule, sums_r,
                                   R(0));
                fv = v->score_rows(INP(0), INP(1), INP(2), rows, cols, rule, sums_v,
                                   V(0));
                ok &= same_ret(fr, fv, "finite");
                if (rule != FM_SCORE_RESIDUALS)
                    ok &= NAME(same)(R(0), V(0), rows, "correct");
                for (j = 0; j < (rule == FM_SCORE_RESIDUALS ? cols : 1); j++)
                    ok &= same_ret(sums_r[j], sums_v[j], "sums");
            }
    return ok;
}

static int NAME(t_dropout)(const TBL *r, const TBL *v) {
    static const double RATES[] = {0.0, 0.25, 0.5, 0.9};
    int k, ok = 1;
    ptrdiff_t n, off;
    for (k = 0; k < 4; k++)
        for (n = 1; n <= 70; n++) {
            uint64_t sr = 0x1234u + (uint64_t)n, sv = sr;
            off = n % 4;
            snprintf(where, sizeof where, "dropout rate %g n %ld", RATES[k], (long)n);
            NAME(fill)(INP(0), n, -4, 4, N_SPECIAL);
            r->dropout(INP(0), R(0), R(1), n, RATES[k], &sr);
            v->dropout(INP(0), V(0), V(1), n, RATES[k], &sv);
            ok &= NAME(same)(R(0), V(0), n, "mask");
            ok &= NAME(same)(R(1), V(1), n, "dropped");
            ok &= same_ret((double)(sr - sv), 0, "stream position");
        }
    return ok;
}

/* The optimizer steps over lo..hi of buffers of hi + 2 elements: the state
 * buffers start as state (>= 0 where a step takes its square root). */
static int NAME(t_steps)(const TBL *r, const TBL *v) {
    int ok = 1, lo, solver, flag;
    ptrdiff_t n, off, hi, len, o;
    for (solver = 0; solver < FM_N_SOLVERS; solver++)
        for (flag = 0; flag < 2; flag++)
            for (lo = 0; lo <= 3; lo += 3)
                for (n = 1; n <= 70; n++) {
                    /* the first state is a sum of squares but for SGD and Adam */
                    double state_lo =
                            solver == FM_SGD || solver == FM_ADAM || solver == FM_ADAMW
                                    ? -1
                                    : 0;
                    hi = lo + n;
                    len = hi + 2;
                    off = n % 4;
                    snprintf(where, sizeof where, "%s%s lo %d hi %ld",
                             fm_solver_name(solver), flag ? " (second form)" : "", lo,
                             (long)hi);
                    NAME(fill)(INP(0), len, -1, 1, N_FINITE);  /* params */
                    NAME(fill)(INP(1), len, -1, 1, N_SPECIAL); /* gradient */
                    NAME(fill)(INP(2), len, state_lo, 1, 0);   /* first state */
                    NAME(fill)(INP(3), len, 0, 1, 0);          /* second state, >= 0 */
                    for (o = 0; o < 4; o++) NAME(copy2)((int)o, INP(o), len, off);
                    switch (solver) {
                    case FM_SGD:
                        r->sgd(R(0), R(1), R(2), lo, hi, (T)1e-4, 32, (T)0.9, (T)0.01,
                               flag);
                        v->sgd(V(0), V(1), V(2), lo, hi, (T)1e-4, 32, (T)0.9, (T)0.01,
                               flag);
                        break;
                    case FM_ADAM:
                    case FM_ADAMW: {
                        T decay = solver == FM_ADAMW ? (T)0.01 : 0,
                          a = flag ? (T)1e-4 : 0;
                        r->adam(R(0), R(1), R(2), R(3), lo, hi, a, 32, (T)1e-3, (T)0.9,
                                (T)0.999, (T)0.1, (T)0.001, (T)1e-8, decay);
                        v->adam(V(0), V(1), V(2), V(3), lo, hi, a, 32, (T)1e-3, (T)0.9,
                                (T)0.999, (T)0.1, (T)0.001, (T)1e-8, decay);
                        break;
                    }
                    case FM_ADAGRAD:
                    case FM_RMSPROP: {
                        int running = solver == FM_RMSPROP;
                        r->adagrad_rmsprop(R(0), R(1), R(2), lo, hi, (T)0.01, (T)1e-7,
                                           (T)0.9, (T)0.1, running);
                        v->adagrad_rmsprop(V(0), V(1), V(2), lo, hi, (T)0.01, (T)1e-7,
                                           (T)0.9, (T)0.1, running);
                        break;
                    }
                    case FM_ADADELTA:
                        r->adadelta(R(0), R(1), R(2), R(3), lo, hi, 1, (T)1e-6, (T)0.95,
                                    (T)0.05);
                        v->adadelta(V(0), V(1), V(2), V(3), lo, hi, 1, (T)1e-6, (T)0.95,
                                    (T)0.05);
                        break;
                    }
                    ok &= NAME(same)(R(0), V(0), len, "params");
                    ok &= NAME(same)(R(2), V(2), len, "state");
                    ok &= NAME(same)(R(3), V(3), len, "second state");
                    /* outside lo..hi nothing moves */
                    for (o = 0; o < len; o++)
                        if (o < lo || o >= hi)
                            ok &= NAME(same)(R(0) + o, INP(0) + o, 1,
                                             "params outside lo..hi");
                }
    return ok;
}

static void NAME(test_variant)(const TBL *r, const TBL *v, const char *variant) {
    char line[200];
#define ONE(f, what)                                                                     \
    reported = 0;                                                                        \
    snprintf(line, sizeof line, "%s %s %s", variant, TNAME, what);                       \
    check(NAME(f)(r, v), line)
    ONE(t_bias_act, "bias and activation, in place and not; add_bias");
    ONE(t_act_deriv, "activation derivatives");
    ONE(t_loss_delta, "output pass: loss and delta");
    ONE(t_sums, "column sums, vector sums, sums of squares");
    ONE(t_all_finite, "finiteness");
    ONE(t_score_rows, "validation scores");
    ONE(t_dropout, "dropout masks");
    ONE(t_steps, "optimizer steps");
#undef ONE
}

#undef R
#undef V
#undef INP
#undef N_SPECIAL
#undef N_FINITE
#undef T
#undef SFX
#undef TBL
#undef TNAME
#undef TINY
#undef BIG
#undef EXPMAX
