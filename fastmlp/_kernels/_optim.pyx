# cython: language_level=3
"""The penalty and the optimizer steps over ranges of the flat parameter buffer
(see _net: coefficients first, then intercepts), without the GIL.

Layering:
  * csrc/optim.h             the per-element loop of every solver's step and
                             the penalty's sum of squares (compiled for several
                             instruction sets)
  * csrc/codes.h             solver codes and what they imply (_codes.pxd)
  * _net.pxd                 the Net struct only: penalty terms, where the
                             coefficients end
  * cdef functions here      the penalty of a range of coefficients and its
                             gradient, a solver's step on a range; called by
                             the thread-team drivers of _engine

Every entry's step depends on that entry alone, so threads can step disjoint
ranges.
"""

from cython cimport floating
from libc.math cimport sqrt, pow, fabs

from ._codes cimport (
    FM_SGD, FM_RMSPROP, FM_ADADELTA, fm_uses_bias_correction,
    fm_decouples_weight_decay, fm_step_scales_gradient,
)

cdef extern from "optim.h" nogil:
    double fm_sum_squares_d(const double *x, Py_ssize_t n)
    double fm_sum_squares_s(const float *x, Py_ssize_t n)
    void fm_sgd_update_d(double *params, const double *grad, double *velocity,
                         Py_ssize_t lo, Py_ssize_t hi, double a, double s, double mu,
                         double eta, int nesterov)
    void fm_sgd_update_s(float *params, const float *grad, float *velocity,
                         Py_ssize_t lo, Py_ssize_t hi, float a, float s, float mu,
                         float eta, int nesterov)
    void fm_adam_update_d(double *params, const double *grad, double *m, double *v,
                          Py_ssize_t lo, Py_ssize_t hi, double a, double s, double step,
                          double b1, double b2, double c1, double c2, double eps,
                          double decay)
    void fm_adam_update_s(float *params, const float *grad, float *m, float *v,
                          Py_ssize_t lo, Py_ssize_t hi, float a, float s, float step,
                          float b1, float b2, float c1, float c2, float eps, float decay)
    void fm_adagrad_rmsprop_update_d(double *params, const double *grad, double *s,
                                     Py_ssize_t lo, Py_ssize_t hi, double lr, double eps,
                                     double rho, double crho, int running_average)
    void fm_adagrad_rmsprop_update_s(float *params, const float *grad, float *s,
                                     Py_ssize_t lo, Py_ssize_t hi, float lr, float eps,
                                     float rho, float crho, int running_average)
    void fm_adadelta_update_d(double *params, const double *grad, double *s, double *d,
                              Py_ssize_t lo, Py_ssize_t hi, double lr, double eps,
                              double rho, double crho)
    void fm_adadelta_update_s(float *params, const float *grad, float *s, float *d,
                              Py_ssize_t lo, Py_ssize_t hi, float lr, float eps,
                              float rho, float crho)


# ----------------------------------------------------------------------
# Penalty
# ----------------------------------------------------------------------
cdef inline double _sum_squares(const floating *x, Py_ssize_t n) noexcept nogil:
    if floating is float:
        return fm_sum_squares_s(x, n)
    else:
        return fm_sum_squares_d(x, n)


cdef void _penalty_parts(const Net *net, const floating *w, Py_ssize_t n,
                         double *sq, double *ab) noexcept nogil:
    """Adds sum w^2 to sq[0] and sum |w| to ab[0] (each only if the penalty uses it)."""
    cdef Py_ssize_t j
    cdef double l1 = 0.0
    if net.l1_ratio != 1.0:
        sq[0] += _sum_squares(w, n)
    if net.l1_ratio != 0.0:
        for j in range(n):
            l1 += fabs(<double>w[j])
        ab[0] += l1


cdef double _penalty_from_parts(const Net *net, double sq, double ab) noexcept nogil:
    """alpha * ((1 - l1_ratio) * 0.5 ||W||^2 + l1_ratio ||W||_1)."""
    cdef double value = 0.0
    if net.l1_ratio != 1.0:
        value = (1.0 - net.l1_ratio) * 0.5 * sq
    if net.l1_ratio != 0.0:
        value += net.l1_ratio * ab
    return net.alpha * value


cdef double _penalty(const Net *net, const floating *params) noexcept nogil:
    """The penalty of all coefficients, summed layer by layer."""
    cdef Py_ssize_t i
    cdef double sq = 0.0, ab = 0.0
    if net.alpha == 0:
        return 0.0
    for i in range(net.n_weights):
        _penalty_parts(net, params + net.coef_off[i], net.units[i] * net.units[i + 1],
                       &sq, &ab)
    return _penalty_from_parts(net, sq, ab)


cdef void _scale_range(const Net *net, const floating *params, floating *grad,
                       Py_ssize_t lo, Py_ssize_t hi, bint is_coef,
                       double sw_sum) noexcept nogil:
    """grad[lo:hi] <- (grad + d penalty / dW) / sw_sum (the penalty only on
    coefficients): the batch gradient from its unscaled data part."""
    cdef Py_ssize_t j
    cdef floating a2 = <floating>(net.alpha * (1.0 - net.l1_ratio))
    cdef floating a1 = <floating>(net.alpha * net.l1_ratio)
    cdef floating s = <floating>sw_sum, w
    if not is_coef:
        for j in range(lo, hi):
            grad[j] = grad[j] / s
    elif net.l1_ratio == 0.0:
        for j in range(lo, hi):
            grad[j] = (grad[j] + a2 * params[j]) / s
    else:
        for j in range(lo, hi):
            w = params[j]
            grad[j] = (grad[j] + a2 * w + a1 * (
                <floating>1 if w > 0 else (<floating>-1 if w < 0 else <floating>0))) / s


cdef void _scale_gradient(const Net *net, const floating *params, floating *grad,
                          Py_ssize_t n_params, double sw_sum) noexcept nogil:
    _scale_range(net, params, grad, 0, net.n_coef, True, sw_sum)
    _scale_range(net, params, grad, net.n_coef, n_params, False, sw_sum)


# ----------------------------------------------------------------------
# Optimizer steps
# ----------------------------------------------------------------------
cdef void _next_step(StepConfig *cfg) noexcept nogil:
    """Count a step and compute its bias-corrected Adam step size."""
    if fm_uses_bias_correction(cfg.solver):
        cfg.t += 1
        cfg.lr_t = cfg.lr * sqrt(1.0 - pow(cfg.beta_2, <double>cfg.t)) / \
            (1.0 - pow(cfg.beta_1, <double>cfg.t))


cdef inline void _sgd_update(floating *params, const floating *grad,
                             floating *velocity, Py_ssize_t lo, Py_ssize_t hi,
                             floating a, floating s, floating mu, floating eta,
                             bint nesterov) noexcept nogil:
    # g = (grad + a w) / s is the scaled batch gradient (a = 0 for intercepts).
    if floating is float:
        fm_sgd_update_s(params, grad, velocity, lo, hi, a, s, mu, eta, nesterov)
    else:
        fm_sgd_update_d(params, grad, velocity, lo, hi, a, s, mu, eta, nesterov)


cdef inline void _adam_update(floating *params, const floating *grad, floating *m,
                              floating *v, Py_ssize_t lo, Py_ssize_t hi, floating a,
                              floating s, double lr_t, double beta_1, double beta_2,
                              double epsilon, double decay) noexcept nogil:
    # All arithmetic in the training dtype (float32 runs twice the SIMD width).
    # `decay` (AdamW) shrinks the weights before the Adam step.
    if floating is float:
        fm_adam_update_s(params, grad, m, v, lo, hi, a, s, <float>lr_t, <float>beta_1,
                         <float>beta_2, <float>(1.0 - beta_1), <float>(1.0 - beta_2),
                         <float>epsilon, <float>decay)
    else:
        fm_adam_update_d(params, grad, m, v, lo, hi, a, s, lr_t, beta_1, beta_2,
                         1.0 - beta_1, 1.0 - beta_2, epsilon, decay)


cdef void _adaptive_update(floating *params, const floating *grad, floating *s1,
                           floating *s2, Py_ssize_t lo, Py_ssize_t hi,
                           const StepConfig *cfg) noexcept nogil:
    """Adagrad, RMSprop and Adadelta on an already scaled gradient."""
    cdef floating lr = <floating>cfg.lr, eps = <floating>cfg.epsilon
    cdef floating rho = <floating>cfg.rho, crho = <floating>(1.0 - cfg.rho)
    cdef bint running_average = cfg.solver == FM_RMSPROP
    if cfg.solver == FM_ADADELTA:
        if floating is float:
            fm_adadelta_update_s(params, grad, s1, s2, lo, hi, lr, eps, rho, crho)
        else:
            fm_adadelta_update_d(params, grad, s1, s2, lo, hi, lr, eps, rho, crho)
    elif floating is float:
        fm_adagrad_rmsprop_update_s(params, grad, s1, lo, hi, lr, eps, rho, crho,
                                    running_average)
    else:
        fm_adagrad_rmsprop_update_d(params, grad, s1, lo, hi, lr, eps, rho, crho,
                                    running_average)


cdef void _update_range(const Net *net, floating *params, floating *grad, floating *s1,
                        floating *s2, Py_ssize_t lo, Py_ssize_t hi, bint is_coef,
                        double sw_sum, const StepConfig *cfg) noexcept nogil:
    """The optimizer step on params[lo:hi] from the unscaled batch gradient;
    the penalty applies when `is_coef`."""
    cdef floating a = <floating>net.alpha if is_coef else <floating>0
    cdef floating s = <floating>sw_sum
    if hi <= lo:
        return
    if net.l1_ratio != 0.0 or not fm_step_scales_gradient(cfg.solver):
        # General path: scale the gradient in place first, then step with it.
        _scale_range(net, params, grad, lo, hi, is_coef, sw_sum)
        a = 0
        s = 1
    if cfg.solver == FM_SGD:
        _sgd_update(params, grad, s1, lo, hi, a, s, <floating>cfg.momentum,
                    <floating>cfg.lr, cfg.nesterov)
    elif fm_uses_bias_correction(cfg.solver):
        _adam_update(params, grad, s1, s2, lo, hi, a, s, cfg.lr_t, cfg.beta_1,
                     cfg.beta_2, cfg.epsilon,
                     cfg.lr * cfg.weight_decay
                     if fm_decouples_weight_decay(cfg.solver) and is_coef else 0.0)
    else:
        _adaptive_update(params, grad, s1, s2, lo, hi, cfg)
