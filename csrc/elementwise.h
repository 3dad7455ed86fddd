/* Elementwise kernels of fastmlp: activations, their derivatives, the fused
 * output-loss/delta pass.  Plain C loops over contiguous buffers, written once
 * as a macro template and instantiated for double (suffix _d) and float (_s).
 *
 * Activation codes (shared with fastmlp/_kernels/_engine.pyx):
 *   0 identity, 1 logistic, 2 tanh, 3 relu, 4 exp, 5 softmax (row-wise).
 * Loss codes: 0 squared_error, 1 log_loss (softmax), 2 binary_log_loss
 *   (logistic units), 3 poisson (half deviance, exp output).
 *
 * Derivatives take the activation *output* a = f(z), as every supported
 * hidden activation's derivative is a function of it.
 */
#ifndef FASTMLP_ELEMENTWISE_H
#define FASTMLP_ELEMENTWISE_H

#include <math.h>
#include <stddef.h>
#include <float.h>

#define FM_IDENTITY 0
#define FM_LOGISTIC 1
#define FM_TANH 2
#define FM_RELU 3
#define FM_EXP 4
#define FM_SOFTMAX 5

#define FM_SQUARED 0
#define FM_LOG_LOSS 1
#define FM_BINARY_LOG_LOSS 2
#define FM_POISSON 3

#define FM_DEFINE(T, SFX, EXP, TANH, LOG, EPS)                                    \
/* z[r, j] = f(z[r, j] + b[j]) for a rows x cols C-contiguous block. */          \
static inline void fm_bias_act##SFX(T *z, const T *b, ptrdiff_t rows,             \
                                    ptrdiff_t cols, int act) {                    \
    ptrdiff_t r, j;                                                               \
    for (r = 0; r < rows; r++) {                                                  \
        T *zr = z + r * cols;                                                     \
        switch (act) {                                                            \
        case FM_IDENTITY:                                                         \
            for (j = 0; j < cols; j++) zr[j] = zr[j] + b[j];                     \
            break;                                                                \
        case FM_LOGISTIC:                                                         \
            for (j = 0; j < cols; j++)                                            \
                zr[j] = (T)1 / ((T)1 + EXP(-(zr[j] + b[j])));                     \
            break;                                                                \
        case FM_TANH:                                                             \
            for (j = 0; j < cols; j++) zr[j] = TANH(zr[j] + b[j]);               \
            break;                                                                \
        case FM_RELU:                                                             \
            for (j = 0; j < cols; j++) {                                          \
                T v = zr[j] + b[j];                                               \
                zr[j] = v > 0 ? v : (T)0;                                         \
            }                                                                     \
            break;                                                                \
        case FM_EXP:                                                              \
            for (j = 0; j < cols; j++) zr[j] = EXP(zr[j] + b[j]);                \
            break;                                                                \
        case FM_SOFTMAX: {                                                        \
            T mx, s = 0;                                                          \
            for (j = 0; j < cols; j++) zr[j] = zr[j] + b[j];                     \
            mx = zr[0];                                                           \
            for (j = 1; j < cols; j++) if (zr[j] > mx) mx = zr[j];               \
            for (j = 0; j < cols; j++) { zr[j] = EXP(zr[j] - mx); s += zr[j]; }  \
            for (j = 0; j < cols; j++) zr[j] = zr[j] / s;                        \
            break;                                                                \
        }                                                                         \
        }                                                                         \
    }                                                                             \
}                                                                                 \
                                                                                  \
/* delta *= f'(z), given a = f(z); n contiguous elements. */                      \
static inline void fm_act_deriv##SFX(const T *a, T *delta, ptrdiff_t n, int act) {\
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
    default:                                                                      \
        break;                                                                    \
    }                                                                             \
}                                                                                 \
                                                                                  \
/* Output pass for a canonical (activation, loss) pair: delta = (p - y) * sw and  \
 * the return value is sum_r sw[r] * loss(y[r], p[r]) (summed over outputs),     \
 * accumulated in double.  Probabilities are clipped to [eps, 1 - eps] in the    \
 * loss value only, as the gradient of the canonical pair needs no clipping. */  \
static inline double fm_loss_delta##SFX(const T *p, const T *y, const T *sw,      \
                                        T *delta, ptrdiff_t rows, ptrdiff_t cols, \
                                        int loss) {                               \
    ptrdiff_t r, j;                                                               \
    double total = 0.0;                                                           \
    const T eps = EPS;                                                            \
    for (r = 0; r < rows; r++) {                                                  \
        const T *pr = p + r * cols, *yr = y + r * cols;                           \
        T *dr = delta + r * cols;                                                 \
        T w = sw[r];                                                              \
        double acc = 0.0;                                                         \
        for (j = 0; j < cols; j++) {                                              \
            T pj = pr[j], yj = yr[j];                                             \
            dr[j] = (pj - yj) * w;                                                \
            switch (loss) {                                                       \
            case FM_SQUARED: {                                                    \
                double d = (double)yj - (double)pj;                               \
                acc += 0.5 * d * d;                                               \
                break;                                                            \
            }                                                                     \
            case FM_LOG_LOSS: {                                                   \
                T pc = pj < eps ? eps : (pj > (T)1 - eps ? (T)1 - eps : pj);     \
                if (yj != 0) acc -= (double)yj * (double)LOG(pc);                 \
                break;                                                            \
            }                                                                     \
            case FM_BINARY_LOG_LOSS: {                                            \
                T pc = pj < eps ? eps : (pj > (T)1 - eps ? (T)1 - eps : pj);     \
                if (yj != 0) acc -= (double)yj * (double)LOG(pc);                 \
                if (yj != 1) acc -= (double)((T)1 - yj) * (double)LOG((T)1 - pc); \
                break;                                                            \
            }                                                                     \
            case FM_POISSON: {                                                    \
                if (yj != 0) acc += (double)yj * log((double)yj / (double)pj);    \
                acc += (double)pj - (double)yj;                                   \
                break;                                                            \
            }                                                                     \
            }                                                                     \
        }                                                                         \
        total += (double)w * acc;                                                 \
    }                                                                             \
    return total;                                                                 \
}                                                                                 \
                                                                                  \
/* out[j] += sum_r d[r, j]: bias gradient as a column sum. */                     \
static inline void fm_colsum_add##SFX(const T *d, T *out, ptrdiff_t rows,         \
                                      ptrdiff_t cols) {                           \
    ptrdiff_t r, j;                                                               \
    for (r = 0; r < rows; r++) {                                                  \
        const T *dr = d + r * cols;                                               \
        for (j = 0; j < cols; j++) out[j] += dr[j];                               \
    }                                                                             \
}

FM_DEFINE(double, _d, exp, tanh, log, DBL_EPSILON)
FM_DEFINE(float, _s, expf, tanhf, logf, FLT_EPSILON)

#undef FM_DEFINE

#endif
