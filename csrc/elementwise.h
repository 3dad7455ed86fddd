/* Elementwise kernels of fastmlp: activations, their derivatives, the output
 * pass (loss value and output delta), column sums and vector sums, dropout
 * masks, the scores of validation rows.  Plain C loops over contiguous buffers, written once as a macro
 * template and instantiated for double (suffix _d) and float (suffix _s).
 *
 * Activations and losses are named by their codes in codes.h.  Derivatives
 * take the activation output a = f(z) and, for gelu, silu and gaussian (whose
 * derivative is not a function of a), the input z.
 */
#ifndef FASTMLP_ELEMENTWISE_H
#define FASTMLP_ELEMENTWISE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <float.h>

#include "codes.h"

#define FM_LEAKY_SLOPE 0.01
#define FM_SELU_LAMBDA 1.0507009873554805
#define FM_SELU_ALPHA 1.6732632423543772
#define FM_INV_SQRT2 0.70710678118654752440
#define FM_INV_SQRT2PI 0.39894228040143267794

/* The row loops below that vectorise (bias and activation, derivatives, column
 * and vector sums) are compiled for several instruction sets and the loader
 * picks the widest the CPU has.  The build disables FMA contraction, and
 * every operation is an IEEE add, multiply, compare or a libm call on one
 * element, so each clone gives the same bits as the baseline SSE2 code. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    defined(__linux__)
#define FM_EW_CLONES __attribute__((target_clones("default", "avx2", "avx512f")))
#else
#define FM_EW_CLONES
#endif

/* Whether the derivative of activation `act` needs the pre-activation z. */
static inline int fm_needs_z(int act) {
    return act == FM_GELU || act == FM_SILU || act == FM_GAUSSIAN;
}

/* Whether (output activation, loss) is a canonical pair, whose output delta
 * is simply p - y. */
static inline int fm_canonical(int act, int loss) {
    return (act == FM_IDENTITY && loss == FM_SQUARED) ||
           (act == FM_SOFTMAX && loss == FM_LOG_LOSS) ||
           (act == FM_LOGISTIC && loss == FM_BINARY_LOG_LOSS) ||
           (act == FM_EXP && loss == FM_POISSON);
}

/* splitmix64: the dropout masks' random stream, seeded from random_state.
 * The k-th draw after state s is a function of s + k * FM_RNG_STEP alone, so a
 * thread can start anywhere in the stream (fm_rng_skip) and draw exactly what a
 * single pass would have drawn there. */
#define FM_RNG_STEP 0x9E3779B97F4A7C15ULL
static inline uint64_t fm_rng_skip(uint64_t state, uint64_t draws) {
    return state + draws * FM_RNG_STEP;
}
static inline uint64_t fm_rng_next(uint64_t *state) {
    uint64_t z = (*state += FM_RNG_STEP);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

#define FM_DEFINE(T, SFX, EXP, EXPM1, LOG, LOG1P, TANH, ERFC, FABS, EPS)           \
/* out[r, j] = f(z[r, j] + b[j]); out may be z. */                               \
FM_EW_CLONES static void fm_bias_act##SFX(const T *z, const T *b, T *out,               \
                                    ptrdiff_t rows, ptrdiff_t cols, int act) {   \
    ptrdiff_t r, j;                                                               \
    for (r = 0; r < rows; r++) {                                                  \
        const T *zr = z + r * cols;                                               \
        T *o = out + r * cols;                                                    \
        switch (act) {                                                            \
        case FM_IDENTITY:                                                         \
            for (j = 0; j < cols; j++) o[j] = zr[j] + b[j];                      \
            break;                                                                \
        case FM_LOGISTIC:                                                         \
            for (j = 0; j < cols; j++) o[j] = (T)1 / ((T)1 + EXP(-(zr[j] + b[j])));\
            break;                                                                \
        case FM_TANH:                                                             \
            for (j = 0; j < cols; j++) o[j] = TANH(zr[j] + b[j]);                \
            break;                                                                \
        case FM_RELU:                                                             \
            for (j = 0; j < cols; j++) {                                          \
                T v = zr[j] + b[j];                                               \
                o[j] = v > 0 ? v : (T)0;                                          \
            }                                                                     \
            break;                                                                \
        case FM_EXP:                                                              \
            for (j = 0; j < cols; j++) o[j] = EXP(zr[j] + b[j]);                 \
            break;                                                                \
        case FM_SOFTMAX: {                                                        \
            T mx, s = 0;                                                          \
            for (j = 0; j < cols; j++) o[j] = zr[j] + b[j];                      \
            mx = o[0];                                                            \
            for (j = 1; j < cols; j++) if (o[j] > mx) mx = o[j];                 \
            for (j = 0; j < cols; j++) { o[j] = EXP(o[j] - mx); s += o[j]; }     \
            for (j = 0; j < cols; j++) o[j] = o[j] / s;                          \
            break;                                                                \
        }                                                                         \
        case FM_LEAKY_RELU:                                                       \
            for (j = 0; j < cols; j++) {                                          \
                T v = zr[j] + b[j];                                               \
                o[j] = v > 0 ? v : (T)FM_LEAKY_SLOPE * v;                         \
            }                                                                     \
            break;                                                                \
        case FM_ELU:                                                              \
            for (j = 0; j < cols; j++) {                                          \
                T v = zr[j] + b[j];                                               \
                o[j] = v > 0 ? v : EXPM1(v);                                      \
            }                                                                     \
            break;                                                                \
        case FM_SELU:                                                             \
            for (j = 0; j < cols; j++) {                                          \
                T v = zr[j] + b[j];                                               \
                o[j] = (T)FM_SELU_LAMBDA *                                        \
                       (v > 0 ? v : (T)FM_SELU_ALPHA * EXPM1(v));                 \
            }                                                                     \
            break;                                                                \
        case FM_SOFTPLUS:                                                         \
            for (j = 0; j < cols; j++) {                                          \
                T v = zr[j] + b[j];                                               \
                o[j] = (v > 0 ? v : (T)0) + LOG1P(EXP(-FABS(v)));                \
            }                                                                     \
            break;                                                                \
        case FM_GELU:                                                             \
            for (j = 0; j < cols; j++) {                                          \
                T v = zr[j] + b[j];                                               \
                o[j] = (T)0.5 * v * ERFC(-v * (T)FM_INV_SQRT2); /* no cancellation */            \
            }                                                                     \
            break;                                                                \
        case FM_SILU:                                                             \
            for (j = 0; j < cols; j++) {                                          \
                T v = zr[j] + b[j];                                               \
                o[j] = v / ((T)1 + EXP(-v));                                      \
            }                                                                     \
            break;                                                                \
        case FM_GAUSSIAN:                                                         \
            for (j = 0; j < cols; j++) {                                          \
                T v = zr[j] + b[j];                                               \
                o[j] = EXP(-v * v);                                               \
            }                                                                     \
            break;                                                                \
        }                                                                         \
    }                                                                             \
}                                                                                 \
                                                                                  \
/* z[r, j] += b[j]: the pre-activation kept for derivatives that need it. */      \
FM_EW_CLONES static void fm_add_bias##SFX(T *z, const T *b, ptrdiff_t rows,             \
                                    ptrdiff_t cols) {                             \
    ptrdiff_t r, j;                                                               \
    for (r = 0; r < rows; r++)                                                    \
        for (j = 0; j < cols; j++) z[r * cols + j] += b[j];                       \
}                                                                                 \
                                                                                  \
/* delta *= f'(z), given a = f(z) (and z where fm_needs_z); n elements. */        \
FM_EW_CLONES static void fm_act_deriv##SFX(const T *a, const T *z, T *delta,            \
                                     ptrdiff_t n, int act) {                      \
    ptrdiff_t i;                                                                  \
    switch (act) {                                                                \
    case FM_LOGISTIC:                                                             \
        for (i = 0; i < n; i++) delta[i] = (delta[i] * a[i]) * ((T)1 - a[i]);    \
        break;                                                                    \
    case FM_TANH:                                                                 \
        for (i = 0; i < n; i++) delta[i] = delta[i] * ((T)1 - a[i] * a[i]);      \
        break;                                                                    \
    case FM_RELU:                                                                 \
        for (i = 0; i < n; i++) delta[i] = a[i] == 0 ? (T)0 : delta[i];          \
        break;                                                                    \
    case FM_EXP:                                                                  \
        for (i = 0; i < n; i++) delta[i] = delta[i] * a[i];                      \
        break;                                                                    \
    case FM_LEAKY_RELU:                                                           \
        for (i = 0; i < n; i++)                                                   \
            delta[i] = a[i] > 0 ? delta[i] : (T)FM_LEAKY_SLOPE * delta[i];        \
        break;                                                                    \
    case FM_ELU:                                                                  \
        for (i = 0; i < n; i++)                                                   \
            delta[i] = a[i] > 0 ? delta[i] : delta[i] * (a[i] + (T)1);            \
        break;                                                                    \
    case FM_SELU:                                                                 \
        for (i = 0; i < n; i++)                                                   \
            delta[i] = a[i] > 0 ? (T)FM_SELU_LAMBDA * delta[i]                    \
                : delta[i] * (a[i] + (T)(FM_SELU_LAMBDA * FM_SELU_ALPHA));        \
        break;                                                                    \
    case FM_SOFTPLUS: /* logistic(z) = 1 - exp(-softplus(z)) */                   \
        for (i = 0; i < n; i++) delta[i] = delta[i] * -EXPM1(-a[i]);             \
        break;                                                                    \
    case FM_GELU:                                                                 \
        for (i = 0; i < n; i++) {                                                 \
            T v = z[i];                                                           \
            T cdf = (T)0.5 * ERFC(-v * (T)FM_INV_SQRT2);                   \
            T pdf = (T)FM_INV_SQRT2PI * EXP((T)-0.5 * v * v);                     \
            delta[i] = delta[i] * (cdf + v * pdf);                                \
        }                                                                         \
        break;                                                                    \
    case FM_SILU:                                                                 \
        for (i = 0; i < n; i++) {                                                 \
            T s = (T)1 / ((T)1 + EXP(-z[i]));                                     \
            delta[i] = delta[i] * (s * ((T)1 + z[i] * ((T)1 - s)));               \
        }                                                                         \
        break;                                                                    \
    case FM_GAUSSIAN:                                                             \
        for (i = 0; i < n; i++) delta[i] = delta[i] * ((T)-2 * z[i] * a[i]);     \
        break;                                                                    \
    default:                                                                      \
        break;                                                                    \
    }                                                                             \
}                                                                                 \
                                                                                  \
/* Output pass: delta = dL/dz * sw (dL/dp * f'(z) in general, p - y for a     \
 * canonical pair) and the return value is sum_r sw[r] * loss(y[r], p[r]),      \
 * summed over outputs and accumulated in double.  Probabilities are clipped   \
 * to [eps, 1 - eps] in the log-loss value only. */                              \
static inline double fm_loss_delta##SFX(const T *p, const T *y, const T *sw,      \
                                        T *delta, ptrdiff_t rows, ptrdiff_t cols, \
                                        int loss, int out_act, double param) {    \
    ptrdiff_t r, j;                                                               \
    double total = 0.0;                                                           \
    const T eps = EPS, hd = (T)param;                                             \
    const int canonical = fm_canonical(out_act, loss);                            \
    for (r = 0; r < rows; r++) {                                                  \
        const T *pr = p + r * cols, *yr = y + r * cols;                           \
        T *dr = delta + r * cols;                                                 \
        T w = sw[r];                                                              \
        double acc = 0.0;                                                         \
        if (loss == FM_HINGE || loss == FM_SQUARED_HINGE) {                       \
            /* y is one-hot: sum_{j != y} max(0, s_j - s_y + 1)[^2] */            \
            ptrdiff_t c = 0;                                                      \
            T sy, gsum = 0;                                                       \
            for (j = 1; j < cols; j++) if (yr[j] > yr[c]) c = j;                  \
            sy = pr[c];                                                           \
            for (j = 0; j < cols; j++) {                                          \
                T m = pr[j] - sy + (T)1, g = 0;                                   \
                if (j != c && m > 0) {                                            \
                    if (loss == FM_HINGE) { acc += (double)m; g = (T)1; }         \
                    else { acc += (double)m * (double)m; g = (T)2 * m; }          \
                }                                                                 \
                dr[j] = g * w;                                                    \
                gsum += g;                                                        \
            }                                                                     \
            dr[c] = -gsum * w;                                                    \
            total += (double)w * acc;                                             \
            continue;                                                             \
        }                                                                         \
        for (j = 0; j < cols; j++) {                                              \
            T pj = pr[j], yj = yr[j], g;                                          \
            switch (loss) {                                                       \
            case FM_SQUARED: {                                                    \
                double d = (double)yj - (double)pj;                               \
                acc += 0.5 * d * d;                                               \
                g = pj - yj;                                                      \
                break;                                                            \
            }                                                                     \
            case FM_LOG_LOSS: {                                                   \
                T pc = pj < eps ? eps : (pj > (T)1 - eps ? (T)1 - eps : pj);     \
                if (yj != 0) acc -= (double)yj * (double)LOG(pc);                 \
                g = pj - yj; /* only used with softmax (canonical) */             \
                break;                                                            \
            }                                                                     \
            case FM_BINARY_LOG_LOSS: {                                            \
                T pc = pj < eps ? eps : (pj > (T)1 - eps ? (T)1 - eps : pj);     \
                if (yj != 0) acc -= (double)yj * (double)LOG(pc);                 \
                if (yj != 1) acc -= (double)((T)1 - yj) * (double)LOG((T)1 - pc); \
                g = canonical ? pj - yj : (pc - yj) / (pc * ((T)1 - pc));         \
                break;                                                            \
            }                                                                     \
            case FM_POISSON: {                                                    \
                if (yj != 0) acc += (double)yj * log((double)yj / (double)pj);    \
                acc += (double)pj - (double)yj;                                   \
                g = canonical ? pj - yj : (T)1 - yj / pj;                         \
                break;                                                            \
            }                                                                     \
            case FM_ABSOLUTE: {                                                   \
                T d = pj - yj;                                                    \
                acc += d > 0 ? (double)d : -(double)d;                                           \
                g = d > 0 ? (T)1 : (d < 0 ? (T)-1 : (T)0);                        \
                break;                                                            \
            }                                                                     \
            case FM_HUBER: {                                                      \
                T d = pj - yj, ad = FABS(d);                                      \
                if (ad <= hd) { acc += 0.5 * (double)d * (double)d; g = d; }      \
                else {                                                            \
                    acc += (double)hd * ((double)ad - 0.5 * (double)hd);          \
                    g = d > 0 ? hd : -hd;                                         \
                }                                                                 \
                break;                                                            \
            }                                                                     \
            case FM_BINARY_HINGE:                                                 \
            case FM_BINARY_SQUARED_HINGE: {                                       \
                T t = yj > (T)0.5 ? (T)1 : (T)-1, m = (T)1 - t * pj;              \
                g = 0;                                                            \
                if (m > 0) {                                                      \
                    if (loss == FM_BINARY_HINGE) { acc += (double)m; g = -t; }    \
                    else { acc += (double)m * (double)m; g = (T)-2 * t * m; }     \
                }                                                                 \
                break;                                                            \
            }                                                                     \
            default:                                                              \
                g = 0;                                                            \
            }                                                                     \
            dr[j] = g * w;                                                        \
        }                                                                         \
        total += (double)w * acc;                                                 \
    }                                                                             \
    if (!canonical)                                                               \
        fm_act_deriv##SFX(p, NULL, delta, rows * cols, out_act);                  \
    return total;                                                                 \
}                                                                                 \
                                                                                  \
/* out[j] += sum_r d[r, j]: bias gradient as a column sum. */                     \
FM_EW_CLONES static void fm_colsum_add##SFX(const T *d, T *out, ptrdiff_t rows,         \
                                      ptrdiff_t cols) {                           \
    ptrdiff_t r, j;                                                               \
    for (r = 0; r < rows; r++) {                                                  \
        const T *dr = d + r * cols;                                               \
        for (j = 0; j < cols; j++) out[j] += dr[j];                               \
    }                                                                             \
}                                                                                 \
                                                                                  \
/* y[i] += x[i], i < n. */                                                        \
FM_EW_CLONES static void fm_add_vec##SFX(T *y, const T *x, ptrdiff_t n) {               \
    ptrdiff_t i;                                                                  \
    for (i = 0; i < n; i++) y[i] += x[i];                                         \
}                                                                                 \
                                                                                  \
/* Whether x[0..n) holds no NaN and no infinity: x * 0 is 0 for finite x and   \
 * NaN otherwise; eight running sums keep the loop vectorisable. */              \
static inline int fm_all_finite##SFX(const T *x, ptrdiff_t n) {                   \
    T acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};                                          \
    ptrdiff_t i, j, n8 = n - n % 8;                                               \
    for (i = 0; i < n8; i += 8)                                                   \
        for (j = 0; j < 8; j++) acc[j] += x[i + j] * (T)0;                        \
    for (i = n8; i < n; i++) acc[0] += x[i] * (T)0;                               \
    for (j = 1; j < 8; j++) acc[0] += acc[j];                                     \
    return acc[0] == 0;                                                           \
}                                                                                 \
                                                                                  \
/* Validation rows scored by `rule` (codes.h), for early stopping.  Class     \
 * rules: correct[r] = 1 where the prediction from p[r] is y[r]'s class (every \
 * column of it, for labels), else 0, and sums[0] += the weights of those     \
 * rows; FM_SCORE_RESIDUALS: sums[j] += sum_r sw[r] (y[r, j] - p[r, j])^2.    \
 * Accumulated in double; p is compared in T, as predict compares it.         \
 * Returns whether every p is finite. */                                        \
static inline int fm_score_rows##SFX(const T *p, const T *y, const T *sw,        \
                                     ptrdiff_t rows, ptrdiff_t cols, int rule,   \
                                     double *sums, T *correct) {                 \
    ptrdiff_t r, j;                                                               \
    const T cut = rule == FM_SCORE_ABOVE_HALF ? (T)0.5 : (T)0;                    \
    for (r = 0; r < rows; r++) {                                                  \
        const T *pr = p + r * cols, *yr = y + r * cols;                           \
        int ok = 1;                                                               \
        if (rule == FM_SCORE_RESIDUALS) {                                         \
            for (j = 0; j < cols; j++) {                                          \
                double d = (double)yr[j] - (double)pr[j];                         \
                sums[j] += (double)sw[r] * (d * d);                               \
            }                                                                     \
            continue;                                                             \
        }                                                                         \
        if (rule == FM_SCORE_ARGMAX) {                                            \
            /* numpy's argmax: the first maximum, the first NaN if any */         \
            ptrdiff_t c = 0, t = 0;                                               \
            for (j = 1; j < cols && pr[c] == pr[c]; j++)                          \
                if (pr[j] > pr[c] || pr[j] != pr[j]) c = j;                       \
            for (j = 1; j < cols; j++) if (yr[j] > yr[t]) t = j;                  \
            ok = c == t;                                                          \
        } else {                                                                  \
            for (j = 0; j < cols && ok; j++)                                      \
                ok = (pr[j] > cut) == (yr[j] > (T)0.5);                           \
        }                                                                         \
        correct[r] = (T)ok;                                                       \
        if (ok) sums[0] += (double)sw[r];                                         \
    }                                                                             \
    return fm_all_finite##SFX(p, rows * cols);                                    \
}                                                                                 \
                                                                                  \
/* Inverted dropout: mask[i] = 1/(1-rate) with probability 1-rate, else 0;      \
 * dropped[i] = a[i] * mask[i]. */                                                \
static inline void fm_dropout##SFX(const T *a, T *mask, T *dropped, ptrdiff_t n,  \
                                   double rate, uint64_t *rng) {                  \
    ptrdiff_t i;                                                                  \
    const T keep_scale = (T)(1.0 / (1.0 - rate));                                 \
    for (i = 0; i < n; i++) {                                                     \
        double u = (double)(fm_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);\
        mask[i] = u < rate ? (T)0 : keep_scale;                                   \
        dropped[i] = a[i] * mask[i];                                              \
    }                                                                             \
}

FM_DEFINE(double, _d, exp, expm1, log, log1p, tanh, erfc, fabs, DBL_EPSILON)
FM_DEFINE(float, _s, expf, expm1f, logf, log1pf, tanhf, erfcf, fabsf, FLT_EPSILON)

#undef FM_DEFINE

#endif
