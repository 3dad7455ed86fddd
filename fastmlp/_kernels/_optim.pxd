# The penalty and every solver's step over ranges of the flat parameter buffer.
#
# Layering: above csrc/optim.h (the per-element loops of the steps, compiled for
# several instruction sets) and csrc/codes.h (solver codes, through _codes.pxd);
# reads the penalty terms of _net's Net; called by _engine's thread-team drivers.

from cython cimport floating

from ._net cimport Net


cdef struct SolverState:
    # What a step reads: the solver, its settings, its step count and its
    # per-parameter buffers (each n_params long in the training dtype, NULL when
    # the solver keeps none: see Solver).
    int code              # a solver code (csrc/codes.h)
    double lr             # current learning rate (the schedule is applied by Python)
    double momentum
    bint nesterov
    double beta_1
    double beta_2
    double epsilon
    double rho
    double weight_decay
    long long t           # Adam/AdamW step count
    double lr_t           # Adam/AdamW step size of step t (set by _count_step)
    void *velocity        # sgd
    void *mean_grad       # adam, adamw: first moment
    void *sq_grad         # adam, adamw: second moment; rmsprop, adadelta: running
                          # mean of g^2; adagrad: sum of g^2
    void *sq_step         # adadelta: running mean of the squared steps


cdef class Solver:
    cdef SolverState state
    cdef readonly str name
    cdef readonly object dtype
    cdef readonly dict buffers


cdef void _penalty_parts(const Net *net, const floating *w, Py_ssize_t n,
                         double *sum_sq, double *sum_abs) noexcept nogil
cdef double _penalty_from_parts(const Net *net, double sum_sq, double sum_abs) noexcept nogil
cdef double _penalty(const Net *net, const floating *params) noexcept nogil
cdef void _scale_gradient(const Net *net, const floating *params, floating *grad,
                          Py_ssize_t n_params, double sw_sum) noexcept nogil

cdef void _count_step(SolverState *s) noexcept nogil
cdef void _step_range(const SolverState *s, const Net *net, floating *params,
                      floating *grad, Py_ssize_t lo, Py_ssize_t hi, bint is_coef,
                      double sw_sum) noexcept nogil
