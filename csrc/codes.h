/* The codes of activations, losses, solvers and validation score rules: the one
 * definition that the C kernels, the Cython engine and (through
 * fastmlp/_kernels/_codes.pyx, which builds its Python mappings from the names
 * below) the estimators share.
 *
 * Each list pairs a code's C name with its Python name; the codes are the
 * positions in the list, so a code is added by adding a line.  Derivatives and
 * output deltas of the activations and losses are in elementwise.h, the
 * solvers' steps in optim.h. */
#ifndef FASTMLP_CODES_H
#define FASTMLP_CODES_H

/* One code per line, comments aligned: */
/* clang-format off */
#define FM_ACTIVATIONS(X)                                                          \
    X(FM_IDENTITY, "identity")                                                     \
    X(FM_LOGISTIC, "logistic")                                                     \
    X(FM_TANH, "tanh")                                                             \
    X(FM_RELU, "relu")                                                             \
    X(FM_EXP, "exp")                                                               \
    X(FM_SOFTMAX, "softmax")               /* row-wise */                          \
    X(FM_LEAKY_RELU, "leaky_relu")                                                 \
    X(FM_ELU, "elu")                                                               \
    X(FM_SELU, "selu")                                                             \
    X(FM_SOFTPLUS, "softplus")                                                     \
    X(FM_GELU, "gelu")                                                             \
    X(FM_SILU, "silu")                                                             \
    X(FM_GAUSSIAN, "gaussian")

#define FM_LOSSES(X)                                                               \
    X(FM_SQUARED, "squared_error")                                                 \
    X(FM_LOG_LOSS, "log_loss")             /* softmax outputs */                   \
    X(FM_BINARY_LOG_LOSS, "binary_log_loss") /* logistic units */                  \
    X(FM_POISSON, "poisson")               /* half deviance */                     \
    X(FM_ABSOLUTE, "absolute_error")                                               \
    X(FM_HUBER, "huber")                                                           \
    X(FM_HINGE, "hinge")                   /* multiclass */                        \
    X(FM_SQUARED_HINGE, "squared_hinge")   /* multiclass */                        \
    X(FM_BINARY_HINGE, "binary_hinge")     /* per column, {0, 1} -> {-1, +1} */    \
    X(FM_BINARY_SQUARED_HINGE, "binary_squared_hinge")

#define FM_SOLVERS(X)                                                              \
    X(FM_SGD, "sgd")                                                               \
    X(FM_ADAM, "adam")                                                             \
    X(FM_ADAGRAD, "adagrad")                                                       \
    X(FM_RMSPROP, "rmsprop")                                                       \
    X(FM_ADADELTA, "adadelta")                                                     \
    X(FM_ADAMW, "adamw")

/* How early stopping scores a validation row: as the estimators' predict
 * decides it, for accuracy, or by its residuals, for R^2. */
#define FM_SCORE_RULES(X)                                                          \
    X(FM_SCORE_ARGMAX, "argmax")           /* multiclass: the largest output */    \
    X(FM_SCORE_ABOVE_HALF, "above_half")   /* logistic units: p > 0.5 */           \
    X(FM_SCORE_ABOVE_ZERO, "above_zero")   /* hinge margins, per label: p > 0 */   \
    X(FM_SCORE_RESIDUALS, "residuals")     /* regression: (y - p)^2 per column */

/* clang-format on */

#define FM_CODE_ENUM(code, name) code,
#define FM_CODE_NAME(code, name) name,
enum { FM_ACTIVATIONS(FM_CODE_ENUM) FM_N_ACTIVATIONS };
enum { FM_LOSSES(FM_CODE_ENUM) FM_N_LOSSES };
enum { FM_SOLVERS(FM_CODE_ENUM) FM_N_SOLVERS };
enum { FM_SCORE_RULES(FM_CODE_ENUM) FM_N_SCORE_RULES };

/* The Python name of a code (codes run from 0 to FM_N_... - 1). */
static inline const char *fm_activation_name(int code) {
    static const char *const names[] = {FM_ACTIVATIONS(FM_CODE_NAME)};
    return names[code];
}
static inline const char *fm_loss_name(int code) {
    static const char *const names[] = {FM_LOSSES(FM_CODE_NAME)};
    return names[code];
}
static inline const char *fm_solver_name(int code) {
    static const char *const names[] = {FM_SOLVERS(FM_CODE_NAME)};
    return names[code];
}
static inline const char *fm_score_rule_name(int code) {
    static const char *const names[] = {FM_SCORE_RULES(FM_CODE_NAME)};
    return names[code];
}

#undef FM_CODE_ENUM
#undef FM_CODE_NAME

/* Whether the solver keeps a second per-parameter buffer (state2) beside the
 * first (velocities, first moments or accumulated squares). */
static inline int fm_has_second_state(int solver) {
    return solver == FM_ADAM || solver == FM_ADADELTA || solver == FM_ADAMW;
}

/* Whether the solver steps by Adam's rule: moment estimates and a step size
 * with bias correction, counted in steps t. */
static inline int fm_uses_bias_correction(int solver) {
    return solver == FM_ADAM || solver == FM_ADAMW;
}

/* Whether the solver shrinks the coefficients by lr * weight_decay before its
 * step (decoupled weight decay, beside the alpha penalty). */
static inline int fm_decouples_weight_decay(int solver) {
    return solver == FM_ADAMW;
}

/* Whether the solver's step computes the scaled gradient (grad + alpha w) /
 * sum_sw itself, from the unscaled data gradient, when the penalty is L2 only;
 * the other solvers step from a gradient scaled in place first. */
static inline int fm_step_scales_gradient(int solver) {
    return solver == FM_SGD || solver == FM_ADAM;
}

#endif
