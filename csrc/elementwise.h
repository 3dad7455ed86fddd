/* Elementwise kernels of fastmlp: activations, their derivatives, the output
 * pass (loss value and output delta), column sums and vector sums, dropout
 * masks, the scores of validation rows: plain C loops over contiguous buffers,
 * written once (elementwise_body.h) for double (suffix _d) and float (suffix _s).
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
#include "variants.h"

#define FM_LEAKY_SLOPE 0.01
#define FM_SELU_LAMBDA 1.0507009873554805
#define FM_SELU_ALPHA 1.6732632423543772
#define FM_INV_SQRT2 0.70710678118654752440
#define FM_INV_SQRT2PI 0.39894228040143267794

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

/* The kernels (elementwise_body.h): bias and activation, derivatives, the
 * output pass, column and vector sums, finiteness, validation scores, dropout.
 * The row loops that vectorise carry FM_CLONES (variants.h). */
#define FM_T double
#define FM_SFX _d
#define FM_T_EXP exp
#define FM_T_EXPM1 expm1
#define FM_T_LOG log
#define FM_T_LOG1P log1p
#define FM_T_TANH tanh
#define FM_T_ERFC erfc
#define FM_T_FABS fabs
#define FM_T_EPS DBL_EPSILON
#include "elementwise_body.h"

#define FM_T float
#define FM_SFX _s
#define FM_T_EXP expf
#define FM_T_EXPM1 expm1f
#define FM_T_LOG logf
#define FM_T_LOG1P log1pf
#define FM_T_TANH tanhf
#define FM_T_ERFC erfcf
#define FM_T_FABS fabsf
#define FM_T_EPS FLT_EPSILON
#include "elementwise_body.h"

#endif /* FASTMLP_ELEMENTWISE_H */
