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
  * Solver                   a solver as one object: its settings, its step
                             count and learning rate, its per-parameter
                             buffers (SolverState is what a step reads)

Every entry's step depends on that entry alone, so threads can step disjoint
ranges.
"""

from cython cimport floating
from libc.math cimport sqrt, pow, fabs

import numpy as np

from ._codes cimport (
    FM_SGD, FM_RMSPROP, FM_ADADELTA, fm_uses_bias_correction,
    fm_decouples_weight_decay, fm_step_scales_gradient,
)

from ._codes import SOLVER_CODES

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
                         double *sum_sq, double *sum_abs) noexcept nogil:
    """Adds sum w^2 to sum_sq[0] and sum |w| to sum_abs[0] (each only if the
    penalty uses it), w: (n,)."""
    cdef Py_ssize_t j
    cdef double l1 = 0.0
    if net.l1_ratio != 1.0:
        sum_sq[0] += _sum_squares(w, n)
    if net.l1_ratio != 0.0:
        for j in range(n):
            l1 += fabs(<double>w[j])
        sum_abs[0] += l1


cdef double _penalty_from_parts(const Net *net, double sum_sq, double sum_abs) noexcept nogil:
    """alpha * ((1 - l1_ratio) * 0.5 ||W||^2 + l1_ratio ||W||_1)."""
    cdef double value = 0.0
    if net.l1_ratio != 1.0:
        value = (1.0 - net.l1_ratio) * 0.5 * sum_sq
    if net.l1_ratio != 0.0:
        value += net.l1_ratio * sum_abs
    return net.alpha * value


cdef double _penalty(const Net *net, const floating *params) noexcept nogil:
    """The penalty of all coefficients of params (n_params,), summed layer by
    layer."""
    cdef Py_ssize_t i
    cdef double sum_sq = 0.0, sum_abs = 0.0
    if net.alpha == 0:
        return 0.0
    for i in range(net.n_weights):
        _penalty_parts(net, params + net.coef_off[i], net.units[i] * net.units[i + 1],
                       &sum_sq, &sum_abs)
    return _penalty_from_parts(net, sum_sq, sum_abs)


cdef void _scale_range(const Net *net, const floating *params, floating *grad,
                       Py_ssize_t lo, Py_ssize_t hi, bint is_coef,
                       double sw_sum) noexcept nogil:
    """grad[lo:hi] <- (grad + d penalty / dW) / sw_sum (the penalty only on
    coefficients): the batch gradient from its unscaled data part; params and
    grad (n_params,)."""
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
cdef void _count_step(SolverState *s) noexcept nogil:
    """Count a step and compute its bias-corrected Adam step size."""
    if fm_uses_bias_correction(s.code):
        s.t += 1
        s.lr_t = s.lr * sqrt(1.0 - pow(s.beta_2, <double>s.t)) / \
            (1.0 - pow(s.beta_1, <double>s.t))


cdef inline void _sgd_update(floating *params, const floating *grad,
                             floating *velocity, Py_ssize_t lo, Py_ssize_t hi,
                             floating a, floating s, floating mu, floating eta,
                             bint nesterov) noexcept nogil:
    # g = (grad + a w) / s is the scaled batch gradient (a = 0 for intercepts).
    if floating is float:
        fm_sgd_update_s(params, grad, velocity, lo, hi, a, s, mu, eta, nesterov)
    else:
        fm_sgd_update_d(params, grad, velocity, lo, hi, a, s, mu, eta, nesterov)


cdef inline void _adam_update(const SolverState *s, floating *params,
                              const floating *grad, Py_ssize_t lo, Py_ssize_t hi,
                              floating a, floating scale, double decay) noexcept nogil:
    # All arithmetic in the training dtype (float32 runs twice the SIMD width).
    # `decay` (AdamW) shrinks the weights before the Adam step.
    if floating is float:
        fm_adam_update_s(params, grad, <float *>s.mean_grad, <float *>s.sq_grad, lo, hi,
                         a, scale, <float>s.lr_t, <float>s.beta_1, <float>s.beta_2,
                         <float>(1.0 - s.beta_1), <float>(1.0 - s.beta_2),
                         <float>s.epsilon, <float>decay)
    else:
        fm_adam_update_d(params, grad, <double *>s.mean_grad, <double *>s.sq_grad, lo, hi,
                         a, scale, s.lr_t, s.beta_1, s.beta_2, 1.0 - s.beta_1,
                         1.0 - s.beta_2, s.epsilon, decay)


cdef void _adaptive_update(const SolverState *s, floating *params, const floating *grad,
                           Py_ssize_t lo, Py_ssize_t hi) noexcept nogil:
    """Adagrad, RMSprop and Adadelta on params[lo:hi] from an already scaled
    gradient grad[lo:hi] (both (n_params,))."""
    cdef floating lr = <floating>s.lr, eps = <floating>s.epsilon
    cdef floating rho = <floating>s.rho, crho = <floating>(1.0 - s.rho)
    cdef bint running_average = s.code == FM_RMSPROP
    cdef floating *sq_grad = <floating *>s.sq_grad
    if s.code == FM_ADADELTA:
        if floating is float:
            fm_adadelta_update_s(params, grad, sq_grad, <float *>s.sq_step, lo, hi, lr,
                                 eps, rho, crho)
        else:
            fm_adadelta_update_d(params, grad, sq_grad, <double *>s.sq_step, lo, hi, lr,
                                 eps, rho, crho)
    elif floating is float:
        fm_adagrad_rmsprop_update_s(params, grad, sq_grad, lo, hi, lr, eps, rho, crho,
                                    running_average)
    else:
        fm_adagrad_rmsprop_update_d(params, grad, sq_grad, lo, hi, lr, eps, rho, crho,
                                    running_average)


cdef void _step_range(const SolverState *s, const Net *net, floating *params,
                      floating *grad, Py_ssize_t lo, Py_ssize_t hi, bint is_coef,
                      double sw_sum) noexcept nogil:
    """The step of solver `s` on params[lo:hi] (n_params,) from the unscaled batch
    gradient grad[lo:hi] (sum_r sw_r dloss_r/dparams; overwritten where the
    solver needs it scaled first); the penalty applies when `is_coef`."""
    cdef floating a = <floating>net.alpha if is_coef else <floating>0
    cdef floating scale = <floating>sw_sum
    if hi <= lo:
        return
    if net.l1_ratio != 0.0 or not fm_step_scales_gradient(s.code):
        # General path: scale the gradient in place first, then step with it.
        _scale_range(net, params, grad, lo, hi, is_coef, sw_sum)
        a = 0
        scale = 1
    if s.code == FM_SGD:
        _sgd_update(params, grad, <floating *>s.velocity, lo, hi, a, scale,
                    <floating>s.momentum, <floating>s.lr, s.nesterov)
    elif fm_uses_bias_correction(s.code):
        _adam_update(s, params, grad, lo, hi, a, scale,
                     s.lr * s.weight_decay
                     if fm_decouples_weight_decay(s.code) and is_coef else 0.0)
    else:
        _adaptive_update(s, params, grad, lo, hi)


# ----------------------------------------------------------------------
# The solver as an object
# ----------------------------------------------------------------------
# The per-parameter buffers each solver keeps (see SolverState).
SOLVER_BUFFERS = {
    "sgd": ("velocity",),
    "adam": ("mean_grad", "sq_grad"),
    "adamw": ("mean_grad", "sq_grad"),
    "adagrad": ("sq_grad",),
    "rmsprop": ("sq_grad",),
    "adadelta": ("sq_grad", "sq_step"),
}
# Settings and their defaults (the estimators' defaults).
SOLVER_SETTINGS = {
    "momentum": 0.9, "nesterov": True, "beta_1": 0.9, "beta_2": 0.999,
    "epsilon": 1e-8, "rho": 0.9, "weight_decay": 0.01,
}


cdef class Solver:
    """A stochastic solver: its settings, step count, learning rate and
    per-parameter buffers, stepped by the engine (train_epoch) in place.

    Parameters
    ----------
    name : str
        A key of _codes.SOLVER_CODES.
    n_params : int
        Length of the flat parameter buffer it steps.
    dtype : float32 or float64
        The training dtype.
    learning_rate : float
        The current learning rate (Python applies the schedule between epochs).
    **settings
        Any of SOLVER_SETTINGS (momentum, nesterov, beta_1, beta_2, epsilon, rho,
        weight_decay); the others keep their defaults.

    The buffers (`buffers`, by name; zeros to start) are those SOLVER_BUFFERS
    lists: sgd's velocity; Adam's and AdamW's first moment (mean_grad) and
    second moment (sq_grad); RMSprop's and Adadelta's running mean of the
    squared gradients and Adagrad's sum of them (sq_grad); Adadelta's running
    mean of the squared steps (sq_step).
    """

    def __init__(self, name, Py_ssize_t n_params, dtype, double learning_rate,
                 **settings):
        if name not in SOLVER_CODES:
            raise ValueError(f"unknown solver {name!r}; expected one of "
                             f"{sorted(SOLVER_CODES)}")
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise TypeError(f"a solver steps float32 or float64 buffers, not {dtype}")
        self.name = name
        self.dtype = dtype
        self.state.code = SOLVER_CODES[name]
        self.state.lr = learning_rate
        self.state.t = 0
        self.state.lr_t = 0.0
        self.configure(**{**SOLVER_SETTINGS, **settings})
        self._set_buffers({b: np.zeros(n_params, dtype=dtype)
                           for b in SOLVER_BUFFERS[name]})

    def _set_buffers(self, buffers):
        cdef double[::1] d
        cdef float[::1] f
        cdef void *ptr
        self.buffers = {}
        self.state.velocity = self.state.mean_grad = NULL
        self.state.sq_grad = self.state.sq_step = NULL
        for key in SOLVER_BUFFERS[self.name]:
            # State loaded read-only (joblib mmap_mode='r') is copied before training.
            arr = np.require(buffers[key], dtype=self.dtype, requirements=["C", "W"])
            ptr = NULL
            if arr.shape[0] > 0:
                if self.dtype == np.float64:
                    d = arr
                    ptr = &d[0]
                else:
                    f = arr
                    ptr = &f[0]
            if key == "velocity":
                self.state.velocity = ptr
            elif key == "mean_grad":
                self.state.mean_grad = ptr
            elif key == "sq_grad":
                self.state.sq_grad = ptr
            else:
                self.state.sq_step = ptr
            self.buffers[key] = arr

    def configure(self, *, momentum=None, nesterov=None, beta_1=None, beta_2=None,
                  epsilon=None, rho=None, weight_decay=None):
        """Change settings (None keeps one) between calls of the engine."""
        if momentum is not None:
            self.state.momentum = momentum
        if nesterov is not None:
            self.state.nesterov = nesterov
        if beta_1 is not None:
            self.state.beta_1 = beta_1
        if beta_2 is not None:
            self.state.beta_2 = beta_2
        if epsilon is not None:
            self.state.epsilon = epsilon
        if rho is not None:
            self.state.rho = rho
        if weight_decay is not None:
            self.state.weight_decay = weight_decay

    @property
    def n_params(self):
        return next(iter(self.buffers.values())).shape[0]

    @property
    def settings(self):
        return {"momentum": self.state.momentum, "nesterov": bool(self.state.nesterov),
                "beta_1": self.state.beta_1, "beta_2": self.state.beta_2,
                "epsilon": self.state.epsilon, "rho": self.state.rho,
                "weight_decay": self.state.weight_decay}

    @property
    def learning_rate(self):
        return self.state.lr

    @learning_rate.setter
    def learning_rate(self, double value):
        self.state.lr = value

    @property
    def t(self):
        """Steps counted by Adam's bias correction (0 for the other solvers)."""
        return self.state.t

    @t.setter
    def t(self, long long value):
        self.state.t = value

    def copy(self):
        """A solver with copies of this one's buffers."""
        return _rebuild_solver(self.name, self.dtype, self.state.lr, self.state.t,
                               self.settings,
                               {k: v.copy() for k, v in self.buffers.items()})

    def load(self, Solver other):
        """Take `other`'s step count, learning rate and buffer values (in place)."""
        self.state.lr = other.state.lr
        self.state.t = other.state.t
        for key, arr in self.buffers.items():
            np.copyto(arr, other.buffers[key])

    def __reduce__(self):
        return (_rebuild_solver, (self.name, self.dtype, self.state.lr, self.state.t,
                                  self.settings, self.buffers))


def _rebuild_solver(name, dtype, double learning_rate, long long t, settings, buffers):
    cdef Solver solver = Solver.__new__(Solver)
    solver.name = name
    solver.dtype = np.dtype(dtype)
    solver.state.code = SOLVER_CODES[name]
    solver.state.lr = learning_rate
    solver.state.t = t
    solver.state.lr_t = 0.0
    solver.configure(**settings)
    solver._set_buffers(buffers)
    return solver
