/* Optimizer updates over a range of the flat parameter buffer: the step of
 * every solver (codes.h) and the sum of squares of the L2 penalty.
 *
 * These loops run once per mini-batch over every parameter; they are compiled
 * for several instruction sets (target_clones: the loader picks the widest the
 * CPU has).  Every operation is an IEEE add, multiply, divide or square root of
 * one element, and the build disables FMA contraction, so each clone gives the
 * same bits as the baseline SSE2 code. */
#ifndef FASTMLP_OPTIM_H
#define FASTMLP_OPTIM_H

#include <math.h>
#include <stddef.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && \
    defined(__linux__)
#define FM_CLONES __attribute__((target_clones("default", "avx2", "avx512f")))
#else
#define FM_CLONES
#endif

#define FM_OPTIM_DEFINE(T, SFX, SQRT)                                             \
/* params[j] <- Adam step with g = (grad[j] + a * w) / s, after the decoupled     \
 * weight decay w <- w - decay * w (AdamW; 0 for Adam). */                        \
FM_CLONES static void fm_adam_update##SFX(                                        \
        T *restrict params, const T *restrict grad, T *restrict m,               \
        T *restrict v, ptrdiff_t lo, ptrdiff_t hi, T a, T s, T step, T b1,        \
        T b2, T c1, T c2, T eps, T decay) {                                       \
    ptrdiff_t j;                                                                  \
    for (j = lo; j < hi; j++) {                                                   \
        T w = params[j];                                                          \
        T g = (grad[j] + a * w) / s;                                              \
        T mj, vj;                                                                 \
        w = w - decay * w;                                                        \
        mj = b1 * m[j] + c1 * g;                                                  \
        vj = b2 * v[j] + c2 * (g * g);                                            \
        m[j] = mj;                                                                \
        v[j] = vj;                                                                \
        params[j] = w + (-step * mj) / (SQRT(vj) + eps);                          \
    }                                                                             \
}                                                                                 \
                                                                                  \
/* params[j] <- SGD step with momentum mu (Nesterov's when nesterov != 0) and     \
 * g = (grad[j] + a * w) / s. */                                                  \
FM_CLONES static void fm_sgd_update##SFX(                                         \
        T *restrict params, const T *restrict grad, T *restrict velocity,         \
        ptrdiff_t lo, ptrdiff_t hi, T a, T s, T mu, T eta, int nesterov) {        \
    ptrdiff_t j;                                                                  \
    if (nesterov) {                                                               \
        for (j = lo; j < hi; j++) {                                               \
            T w = params[j];                                                      \
            T g = (grad[j] + a * w) / s;                                          \
            T vel = mu * velocity[j] - eta * g;                                   \
            velocity[j] = vel;                                                    \
            params[j] = w + (mu * vel - eta * g);                                 \
        }                                                                         \
    } else {                                                                      \
        for (j = lo; j < hi; j++) {                                               \
            T w = params[j];                                                      \
            T g = (grad[j] + a * w) / s;                                          \
            T vel = mu * velocity[j] - eta * g;                                   \
            velocity[j] = vel;                                                    \
            params[j] = w + vel;                                                  \
        }                                                                         \
    }                                                                             \
}                                                                                 \
                                                                                  \
/* Adagrad (running_average == 0: s[j] accumulates g^2) or RMSprop (s[j] <-     \
 * rho s[j] + crho g^2) with g = grad[j], a gradient already scaled.  The square \
 * roots here are taken in double and rounded to T: for float the same bits as \
 * sqrtf, since a double carries more than twice a float's precision. */        \
FM_CLONES static void fm_adagrad_rmsprop_update##SFX(                             \
        T *restrict params, const T *restrict grad, T *restrict s, ptrdiff_t lo,  \
        ptrdiff_t hi, T lr, T eps, T rho, T crho, int running_average) {          \
    ptrdiff_t j;                                                                  \
    for (j = lo; j < hi; j++) {                                                   \
        T g = grad[j];                                                            \
        T sj = running_average ? rho * s[j] + crho * (g * g) : s[j] + g * g;      \
        s[j] = sj;                                                                \
        params[j] = params[j] - lr * g / ((T)sqrt((double)sj) + eps);             \
    }                                                                             \
}                                                                                 \
                                                                                  \
/* Adadelta (Zeiler 2012), its step scaled by lr, with g = grad[j] already        \
 * scaled: s holds the running average of g^2, d that of the steps^2. */         \
FM_CLONES static void fm_adadelta_update##SFX(                                    \
        T *restrict params, const T *restrict grad, T *restrict s, T *restrict d, \
        ptrdiff_t lo, ptrdiff_t hi, T lr, T eps, T rho, T crho) {                 \
    ptrdiff_t j;                                                                  \
    for (j = lo; j < hi; j++) {                                                   \
        T g = grad[j];                                                            \
        T sj = rho * s[j] + crho * (g * g);                                       \
        T dx = -((T)sqrt((double)(d[j] + eps)) / (T)sqrt((double)(sj + eps))) * g;\
        s[j] = sj;                                                                \
        d[j] = rho * d[j] + crho * (dx * dx);                                     \
        params[j] = params[j] + lr * dx;                                          \
    }                                                                             \
}                                                                                 \
                                                                                  \
/* sum x[j]^2 in double precision, eight running sums (vectorisable). */       \
FM_CLONES static double fm_sum_squares##SFX(const T *restrict x, ptrdiff_t n) {  \
    double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};                                     \
    ptrdiff_t i, j, n8 = n - n % 8;                                               \
    for (i = 0; i < n8; i += 8)                                                   \
        for (j = 0; j < 8; j++) acc[j] += (double)x[i + j] * (double)x[i + j];    \
    for (i = n8; i < n; i++) acc[0] += (double)x[i] * (double)x[i];               \
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) +                              \
           ((acc[4] + acc[5]) + (acc[6] + acc[7]));                               \
}

FM_OPTIM_DEFINE(double, _d, sqrt)
FM_OPTIM_DEFINE(float, _s, sqrtf)

#undef FM_OPTIM_DEFINE

#endif
