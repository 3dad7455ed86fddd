/* Body of the elementwise kernels of elementwise.h, included once per element
 * type (see variants.h).  The includer defines:
 *
 *   FM_T      element type (double or float)
 *   FM_SFX    name suffix: _d or _s
 *   FM_T_EXP  FM_T_EXPM1  FM_T_LOG  FM_T_LOG1P  FM_T_TANH  FM_T_ERFC  FM_T_FABS
 *             the libm functions of FM_T
 *   FM_T_EPS  FM_T's machine epsilon
 *
 * and this file undefines them at its end.  Arrays are row-major; n counts the
 * elements of a whole array. */

/* zr, b, o (cols): o[j] = f(zr[j] + b[j]) for activation code `act`; o may be
 * zr.  Inlined into fm_bias_act, whose calls say whether it is. */
FM_ALWAYS_INLINE void FM_NAME(fm_bias_act_row)(const FM_T *zr, const FM_T *b, FM_T *o,
                                               ptrdiff_t cols, int act) {
    ptrdiff_t j;
    switch (act) {
    case FM_IDENTITY:
        for (j = 0; j < cols; j++) o[j] = zr[j] + b[j];
        break;
    case FM_LOGISTIC:
        for (j = 0; j < cols; j++)
            o[j] = (FM_T)1 / ((FM_T)1 + FM_T_EXP(-(zr[j] + b[j])));
        break;
    case FM_TANH:
        for (j = 0; j < cols; j++) o[j] = FM_T_TANH(zr[j] + b[j]);
        break;
    case FM_RELU:
        for (j = 0; j < cols; j++) {
            FM_T v = zr[j] + b[j];
            o[j] = v > 0 ? v : (FM_T)0;
        }
        break;
    case FM_EXP:
        for (j = 0; j < cols; j++) o[j] = FM_T_EXP(zr[j] + b[j]);
        break;
    case FM_SOFTMAX: {
        FM_T mx, s = 0;
        for (j = 0; j < cols; j++) o[j] = zr[j] + b[j];
        mx = o[0];
        for (j = 1; j < cols; j++)
            if (o[j] > mx) mx = o[j];
        for (j = 0; j < cols; j++) {
            o[j] = FM_T_EXP(o[j] - mx);
            s += o[j];
        }
        for (j = 0; j < cols; j++) o[j] = o[j] / s;
        break;
    }
    case FM_LEAKY_RELU:
        for (j = 0; j < cols; j++) {
            FM_T v = zr[j] + b[j];
            o[j] = v > 0 ? v : (FM_T)FM_LEAKY_SLOPE * v;
        }
        break;
    case FM_ELU:
        for (j = 0; j < cols; j++) {
            FM_T v = zr[j] + b[j];
            o[j] = v > 0 ? v : FM_T_EXPM1(v);
        }
        break;
    case FM_SELU:
        for (j = 0; j < cols; j++) {
            FM_T v = zr[j] + b[j];
            o[j] = (FM_T)FM_SELU_LAMBDA *
                   (v > 0 ? v : (FM_T)FM_SELU_ALPHA * FM_T_EXPM1(v));
        }
        break;
    case FM_SOFTPLUS:
        for (j = 0; j < cols; j++) {
            FM_T v = zr[j] + b[j];
            o[j] = (v > 0 ? v : (FM_T)0) + FM_T_LOG1P(FM_T_EXP(-FM_T_FABS(v)));
        }
        break;
    case FM_GELU:
        for (j = 0; j < cols; j++) {
            FM_T v = zr[j] + b[j];
            /* Phi(v) as erfc: no cancellation for v < 0 */
            o[j] = (FM_T)0.5 * v * FM_T_ERFC(-v * (FM_T)FM_INV_SQRT2);
        }
        break;
    case FM_SILU:
        for (j = 0; j < cols; j++) {
            FM_T v = zr[j] + b[j];
            o[j] = v / ((FM_T)1 + FM_T_EXP(-v));
        }
        break;
    case FM_GAUSSIAN:
        for (j = 0; j < cols; j++) {
            FM_T v = zr[j] + b[j];
            o[j] = FM_T_EXP(-v * v);
        }
        break;
    }
}

/* z (rows, cols), b (cols), out (rows, cols): out[r, j] = f(z[r, j] + b[j]) for
 * activation code `act`; out may be z.  In place, a row goes to fm_bias_act_row
 * as one pointer: the compiler then sees every element read before it is
 * written and vectorises the loops without comparing the addresses of z and out
 * at run time (clang's comparison takes the scalar loop when they are equal). */
FM_CLONES static void FM_NAME(fm_bias_act)(const FM_T *z, const FM_T *b, FM_T *out,
                                           ptrdiff_t rows, ptrdiff_t cols, int act) {
    ptrdiff_t r;
    if (out == z)
        for (r = 0; r < rows; r++)
            FM_NAME(fm_bias_act_row)(out + r * cols, b, out + r * cols, cols, act);
    else
        for (r = 0; r < rows; r++)
            FM_NAME(fm_bias_act_row)(z + r * cols, b, out + r * cols, cols, act);
}

/* z (rows, cols), b (cols): z[r, j] += b[j], the pre-activation kept for the
 * derivatives that need it. */
FM_CLONES static void FM_NAME(fm_add_bias)(FM_T *z, const FM_T *b, ptrdiff_t rows,
                                           ptrdiff_t cols) {
    ptrdiff_t r, j;
    for (r = 0; r < rows; r++)
        for (j = 0; j < cols; j++) z[r * cols + j] += b[j];
}

/* a, z, delta (n): delta *= f'(z), given a = f(z) (and z where fm_needs_z, else
 * z may be NULL). */
FM_CLONES static void FM_NAME(fm_act_deriv)(const FM_T *a, const FM_T *z, FM_T *delta,
                                            ptrdiff_t n, int act) {
    ptrdiff_t i;
    switch (act) {
    case FM_LOGISTIC:
        for (i = 0; i < n; i++) delta[i] = (delta[i] * a[i]) * ((FM_T)1 - a[i]);
        break;
    case FM_TANH:
        for (i = 0; i < n; i++) delta[i] = delta[i] * ((FM_T)1 - a[i] * a[i]);
        break;
    case FM_RELU:
        for (i = 0; i < n; i++) delta[i] = a[i] == 0 ? (FM_T)0 : delta[i];
        break;
    case FM_EXP:
        for (i = 0; i < n; i++) delta[i] = delta[i] * a[i];
        break;
    case FM_LEAKY_RELU:
        for (i = 0; i < n; i++)
            delta[i] = a[i] > 0 ? delta[i] : (FM_T)FM_LEAKY_SLOPE * delta[i];
        break;
    case FM_ELU:
        for (i = 0; i < n; i++)
            delta[i] = a[i] > 0 ? delta[i] : delta[i] * (a[i] + (FM_T)1);
        break;
    case FM_SELU:
        for (i = 0; i < n; i++)
            delta[i] =
                    a[i] > 0 ? (FM_T)FM_SELU_LAMBDA * delta[i]
                             : delta[i] * (a[i] + (FM_T)(FM_SELU_LAMBDA * FM_SELU_ALPHA));
        break;
    case FM_SOFTPLUS: /* logistic(z) = 1 - exp(-softplus(z)) */
        for (i = 0; i < n; i++) delta[i] = delta[i] * -FM_T_EXPM1(-a[i]);
        break;
    case FM_GELU:
        for (i = 0; i < n; i++) {
            FM_T v = z[i];
            FM_T cdf = (FM_T)0.5 * FM_T_ERFC(-v * (FM_T)FM_INV_SQRT2);
            FM_T pdf = (FM_T)FM_INV_SQRT2PI * FM_T_EXP((FM_T)-0.5 * v * v);
            delta[i] = delta[i] * (cdf + v * pdf);
        }
        break;
    case FM_SILU:
        for (i = 0; i < n; i++) {
            FM_T s = (FM_T)1 / ((FM_T)1 + FM_T_EXP(-z[i]));
            delta[i] = delta[i] * (s * ((FM_T)1 + z[i] * ((FM_T)1 - s)));
        }
        break;
    case FM_GAUSSIAN:
        for (i = 0; i < n; i++) delta[i] = delta[i] * ((FM_T)-2 * z[i] * a[i]);
        break;
    default: break;
    }
}

/* p, y, delta (rows, cols), sw (rows): the output pass.  delta = dL/dz * sw
 * (dL/dp * f'(z) in general, p - y for a canonical pair) and the return value
 * is sum_r sw[r] * loss(y[r], p[r]), summed over outputs and accumulated in
 * double.  Probabilities are clipped to [eps, 1 - eps] in the log-loss value
 * only. */
static inline double FM_NAME(fm_loss_delta)(const FM_T *p, const FM_T *y, const FM_T *sw,
                                            FM_T *delta, ptrdiff_t rows, ptrdiff_t cols,
                                            int loss, int out_act, double param) {
    ptrdiff_t r, j;
    double total = 0.0;
    const FM_T eps = FM_T_EPS, hd = (FM_T)param;
    const int canonical = fm_canonical(out_act, loss);
    for (r = 0; r < rows; r++) {
        const FM_T *pr = p + r * cols, *yr = y + r * cols;
        FM_T *dr = delta + r * cols;
        FM_T w = sw[r];
        double acc = 0.0;
        if (loss == FM_HINGE || loss == FM_SQUARED_HINGE) {
            /* y is one-hot: sum_{j != y} max(0, s_j - s_y + 1)[^2] */
            ptrdiff_t c = 0;
            FM_T sy, gsum = 0;
            for (j = 1; j < cols; j++)
                if (yr[j] > yr[c]) c = j;
            sy = pr[c];
            for (j = 0; j < cols; j++) {
                FM_T m = pr[j] - sy + (FM_T)1, g = 0;
                if (j != c && m > 0) {
                    if (loss == FM_HINGE) {
                        acc += (double)m;
                        g = (FM_T)1;
                    } else {
                        acc += (double)m * (double)m;
                        g = (FM_T)2 * m;
                    }
                }
                dr[j] = g * w;
                gsum += g;
            }
            dr[c] = -gsum * w;
            total += (double)w * acc;
            continue;
        }
        for (j = 0; j < cols; j++) {
            FM_T pj = pr[j], yj = yr[j], g;
            switch (loss) {
            case FM_SQUARED: {
                double d = (double)yj - (double)pj;
                acc += 0.5 * d * d;
                g = pj - yj;
                break;
            }
            case FM_LOG_LOSS: {
                FM_T pc = pj < eps ? eps : (pj > (FM_T)1 - eps ? (FM_T)1 - eps : pj);
                if (yj != 0) acc -= (double)yj * (double)FM_T_LOG(pc);
                g = pj - yj; /* only used with softmax (canonical) */
                break;
            }
            case FM_BINARY_LOG_LOSS: {
                FM_T pc = pj < eps ? eps : (pj > (FM_T)1 - eps ? (FM_T)1 - eps : pj);
                if (yj != 0) acc -= (double)yj * (double)FM_T_LOG(pc);
                if (yj != 1)
                    acc -= (double)((FM_T)1 - yj) * (double)FM_T_LOG((FM_T)1 - pc);
                g = canonical ? pj - yj : (pc - yj) / (pc * ((FM_T)1 - pc));
                break;
            }
            case FM_POISSON: {
                if (yj != 0) acc += (double)yj * log((double)yj / (double)pj);
                acc += (double)pj - (double)yj;
                g = canonical ? pj - yj : (FM_T)1 - yj / pj;
                break;
            }
            case FM_ABSOLUTE: {
                FM_T d = pj - yj;
                acc += d > 0 ? (double)d : -(double)d;
                g = d > 0 ? (FM_T)1 : (d < 0 ? (FM_T)-1 : (FM_T)0);
                break;
            }
            case FM_HUBER: {
                FM_T d = pj - yj, ad = FM_T_FABS(d);
                if (ad <= hd) {
                    acc += 0.5 * (double)d * (double)d;
                    g = d;
                } else {
                    acc += (double)hd * ((double)ad - 0.5 * (double)hd);
                    g = d > 0 ? hd : -hd;
                }
                break;
            }
            case FM_BINARY_HINGE:
            case FM_BINARY_SQUARED_HINGE: {
                FM_T t = yj > (FM_T)0.5 ? (FM_T)1 : (FM_T)-1, m = (FM_T)1 - t * pj;
                g = 0;
                if (m > 0) {
                    if (loss == FM_BINARY_HINGE) {
                        acc += (double)m;
                        g = -t;
                    } else {
                        acc += (double)m * (double)m;
                        g = (FM_T)-2 * t * m;
                    }
                }
                break;
            }
            default: g = 0;
            }
            dr[j] = g * w;
        }
        total += (double)w * acc;
    }
    if (!canonical) FM_NAME(fm_act_deriv)(p, NULL, delta, rows * cols, out_act);
    return total;
}

/* d (rows, cols), out (cols): out[j] += sum_r d[r, j], the bias gradient as a
 * column sum. */
FM_CLONES static void FM_NAME(fm_colsum_add)(const FM_T *d, FM_T *out, ptrdiff_t rows,
                                             ptrdiff_t cols) {
    ptrdiff_t r, j;
    for (r = 0; r < rows; r++) {
        const FM_T *dr = d + r * cols;
        for (j = 0; j < cols; j++) out[j] += dr[j];
    }
}

/* y, x (n): y[i] += x[i]. */
FM_CLONES static void FM_NAME(fm_add_vec)(FM_T *y, const FM_T *x, ptrdiff_t n) {
    ptrdiff_t i;
    for (i = 0; i < n; i++) y[i] += x[i];
}

/* x (n): whether x holds no NaN and no infinity: x * 0 is 0 for finite x and
 * NaN otherwise; eight running sums keep the loop vectorisable. */
static inline int FM_NAME(fm_all_finite)(const FM_T *x, ptrdiff_t n) {
    FM_T acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    ptrdiff_t i, j, n8 = n - n % 8;
    for (i = 0; i < n8; i += 8)
        for (j = 0; j < 8; j++) acc[j] += x[i + j] * (FM_T)0;
    for (i = n8; i < n; i++) acc[0] += x[i] * (FM_T)0;
    for (j = 1; j < 8; j++) acc[0] += acc[j];
    return acc[0] == 0;
}

/* p, y (rows, cols), sw (rows), sums (1 or cols), correct (rows): validation
 * rows scored by `rule` (codes.h), for early stopping.  Class rules: correct[r]
 * = 1 where the prediction from p[r] is y[r]'s class (every column of it, for
 * labels), else 0, and sums[0] += the weights of those rows;
 * FM_SCORE_RESIDUALS: sums[j] += sum_r sw[r] (y[r, j] - p[r, j])^2.
 * Accumulated in double; p is compared in FM_T, as predict compares it.
 * Returns whether every p is finite. */
static inline int FM_NAME(fm_score_rows)(const FM_T *p, const FM_T *y, const FM_T *sw,
                                         ptrdiff_t rows, ptrdiff_t cols, int rule,
                                         double *sums, FM_T *correct) {
    ptrdiff_t r, j;
    const FM_T cut = rule == FM_SCORE_ABOVE_HALF ? (FM_T)0.5 : (FM_T)0;
    for (r = 0; r < rows; r++) {
        const FM_T *pr = p + r * cols, *yr = y + r * cols;
        int ok = 1;
        if (rule == FM_SCORE_RESIDUALS) {
            for (j = 0; j < cols; j++) {
                double d = (double)yr[j] - (double)pr[j];
                sums[j] += (double)sw[r] * (d * d);
            }
            continue;
        }
        if (rule == FM_SCORE_ARGMAX) {
            /* numpy's argmax: the first maximum, the first NaN if any */
            ptrdiff_t c = 0, t = 0;
            for (j = 1; j < cols && pr[c] == pr[c]; j++)
                if (pr[j] > pr[c] || pr[j] != pr[j]) c = j;
            for (j = 1; j < cols; j++)
                if (yr[j] > yr[t]) t = j;
            ok = c == t;
        } else {
            for (j = 0; j < cols && ok; j++) ok = (pr[j] > cut) == (yr[j] > (FM_T)0.5);
        }
        correct[r] = (FM_T)ok;
        if (ok) sums[0] += (double)sw[r];
    }
    return FM_NAME(fm_all_finite)(p, rows * cols);
}

/* a, mask, dropped (n): inverted dropout.  mask[i] = 1/(1-rate) with probability
 * 1-rate, else 0, from the stream at *rng (advanced by n draws); dropped[i] =
 * a[i] * mask[i]. */
static inline void FM_NAME(fm_dropout)(const FM_T *a, FM_T *mask, FM_T *dropped,
                                       ptrdiff_t n, double rate, uint64_t *rng) {
    ptrdiff_t i;
    const FM_T keep_scale = (FM_T)(1.0 / (1.0 - rate));
    for (i = 0; i < n; i++) {
        double u = (double)(fm_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
        mask[i] = u < rate ? (FM_T)0 : keep_scale;
        dropped[i] = a[i] * mask[i];
    }
}

#undef FM_T
#undef FM_SFX
#undef FM_T_EXP
#undef FM_T_EXPM1
#undef FM_T_LOG
#undef FM_T_LOG1P
#undef FM_T_TANH
#undef FM_T_ERFC
#undef FM_T_FABS
#undef FM_T_EPS
