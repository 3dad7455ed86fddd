# cython: language_level=3
"""Compiled training engine: forward/backward passes, one epoch of mini-batches,
the full-batch objective for L-BFGS and gradient checks, and prediction.

Layering:
  * csrc/elementwise.h       per-element activations, derivatives, loss+delta,
                             dropout masks
  * cdef functions here      one chunk of rows through the network, optimizer
                             steps (no GIL)
  * def functions here       the Python-facing entry points, each releasing the
                             GIL for all of its work

The network's parameters live in one flat buffer in scikit-learn's packing order
(all coefficient matrices, then all intercept vectors); `coef_off[i]` and
`icpt_off[i]` give where layer i starts.  Gradients and optimizer state are
buffers of the same layout, so an optimizer step is a single loop.

Rows are addressed either contiguously (`rows == NULL`: row `start + r`) or
through an index array (`rows[start + r]`), which is how mini-batches follow the
shuffled sample order without copying X.
"""

from cython cimport floating
from libc.math cimport sqrt, pow, isfinite, fabs
from libc.stdint cimport uint64_t
from libc.stdlib cimport malloc, calloc, free
from libc.string cimport memset, memcpy
from posix.time cimport clock_gettime, timespec, CLOCK_MONOTONIC

from ._blas cimport gemm_rm, axpy

import numpy as np

cdef extern from "Python.h":
    # Declared without an exception value: a raised handler's exception stays
    # pending until the loop has been left, then _raise_pending() propagates it.
    int _check_signals "PyErr_CheckSignals"()

cdef extern from "elementwise.h" nogil:
    int fm_needs_z(int act)
    void fm_bias_act_d(const double *z, const double *b, double *out, Py_ssize_t rows,
                       Py_ssize_t cols, int act)
    void fm_bias_act_s(const float *z, const float *b, float *out, Py_ssize_t rows,
                       Py_ssize_t cols, int act)
    void fm_add_bias_d(double *z, const double *b, Py_ssize_t rows, Py_ssize_t cols)
    void fm_add_bias_s(float *z, const float *b, Py_ssize_t rows, Py_ssize_t cols)
    void fm_act_deriv_d(const double *a, const double *z, double *delta, Py_ssize_t n,
                        int act)
    void fm_act_deriv_s(const float *a, const float *z, float *delta, Py_ssize_t n,
                        int act)
    double fm_loss_delta_d(const double *p, const double *y, const double *sw,
                           double *delta, Py_ssize_t rows, Py_ssize_t cols, int loss,
                           int out_act, double param)
    double fm_loss_delta_s(const float *p, const float *y, const float *sw,
                           float *delta, Py_ssize_t rows, Py_ssize_t cols, int loss,
                           int out_act, double param)
    void fm_colsum_add_d(const double *d, double *out, Py_ssize_t rows, Py_ssize_t cols)
    void fm_colsum_add_s(const float *d, float *out, Py_ssize_t rows, Py_ssize_t cols)
    void fm_dropout_d(const double *a, double *mask, double *dropped, Py_ssize_t n,
                      double rate, uint64_t *rng)
    void fm_dropout_s(const float *a, float *mask, float *dropped, Py_ssize_t n,
                      double rate, uint64_t *rng)


# Codes shared with csrc/elementwise.h.
ACTIVATION_CODES = {
    "identity": 0, "logistic": 1, "tanh": 2, "relu": 3, "exp": 4, "softmax": 5,
    "leaky_relu": 6, "elu": 7, "selu": 8, "softplus": 9, "gelu": 10, "silu": 11,
    "gaussian": 12,
}
LOSS_CODES = {
    "squared_error": 0, "log_loss": 1, "binary_log_loss": 2, "poisson": 3,
    "absolute_error": 4, "huber": 5, "hinge": 6, "squared_hinge": 7,
    "binary_hinge": 8, "binary_squared_hinge": 9,
}
SOLVER_CODES = {"sgd": 0, "adam": 1, "adagrad": 2, "rmsprop": 3, "adadelta": 4,
                "adamw": 5}
# Solvers keeping a second per-parameter buffer (state2).
TWO_STATE_SOLVERS = ("adam", "adadelta", "adamw")

# Status codes returned by the epoch loop.
cdef enum:
    _STATUS_OK = 0
    _STATUS_NONFINITE = 1
STATUS_OK = _STATUS_OK
STATUS_NONFINITE = _STATUS_NONFINITE

# Long loops without the GIL look for signals (Ctrl-C) this often, in seconds.
cdef double _SIGNAL_INTERVAL = 0.05


cdef inline double _now() noexcept nogil:
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec + 1e-9 * ts.tv_nsec


cdef struct SignalWatch:
    double next_check


cdef inline bint _signalled(SignalWatch *watch) noexcept nogil:
    """True when a Python signal handler raised (e.g. KeyboardInterrupt); the
    exception is then pending and the caller must leave its loop and, holding
    the GIL again, propagate it with _raise_pending()."""
    cdef double now = _now()
    cdef int failed = 0
    if now < watch.next_check:
        return False
    watch.next_check = now + _SIGNAL_INTERVAL
    with gil:
        failed = _check_signals()
    return failed != 0


cdef int _raise_pending() except -1:
    # Returning the error value makes Cython propagate the pending exception.
    return -1


cdef struct Net:
    Py_ssize_t n_weights        # number of weight layers (len(units) - 1)
    const Py_ssize_t *units     # n_weights + 1 layer widths, input first
    const Py_ssize_t *coef_off  # start of coefs_[i] in the flat buffer
    const Py_ssize_t *icpt_off  # start of intercepts_[i] in the flat buffer
    Py_ssize_t n_coef           # number of coefficient entries (they come first)
    const int *act              # act[i]: activation of weight layer i's output
    const double *dropout       # dropout[i]: rate on hidden layer i + 1's output
    int loss
    double loss_param           # huber delta
    double alpha                # penalty strength
    double l1_ratio             # share of the L1 term in the penalty


cdef class NetSpec:
    """What the engine needs to know about a network, built once per fit.

    Parameters
    ----------
    units : sequence of int
        Layer widths, input first.
    coef_off, icpt_off : ndarray of intp
        Offsets of each layer's coefficients / intercepts in the flat buffer.
    activations : sequence of str
        Activation of every weight layer's output, the output layer's last.
    loss : str
        A key of LOSS_CODES.
    loss_param : float
        The huber loss's delta.
    alpha, l1_ratio : float
        Penalty alpha * ((1 - l1_ratio) * 0.5 ||W||^2 + l1_ratio ||W||_1).
    dropout : sequence of float
        Dropout rate of every hidden layer (training only).
    """
    cdef readonly object units, coef_off, icpt_off, act_codes, dropout_rates
    cdef Net net
    cdef bint any_dropout
    cdef bint any_z

    def __init__(self, units, coef_off, icpt_off, activations, loss, loss_param=1.0,
                 alpha=0.0, l1_ratio=0.0, dropout=None):
        cdef const Py_ssize_t[::1] u, co, io
        cdef const int[::1] ac
        cdef const double[::1] dr
        cdef Py_ssize_t i
        self.units = np.ascontiguousarray(units, dtype=np.intp)
        self.coef_off = np.ascontiguousarray(coef_off, dtype=np.intp)
        self.icpt_off = np.ascontiguousarray(icpt_off, dtype=np.intp)
        self.act_codes = np.asarray([ACTIVATION_CODES[a] for a in activations],
                                    dtype=np.intc)
        n_weights = self.units.shape[0] - 1
        if dropout is None:
            dropout = [0.0] * max(n_weights - 1, 0)
        self.dropout_rates = np.zeros(max(n_weights, 1), dtype=np.float64)
        self.dropout_rates[:len(dropout)] = dropout
        if (n_weights < 1 or self.coef_off.shape[0] != n_weights
                or self.icpt_off.shape[0] != n_weights
                or self.act_codes.shape[0] != n_weights
                or len(dropout) != n_weights - 1):
            raise ValueError("inconsistent network description")
        u, co, io = self.units, self.coef_off, self.icpt_off
        ac, dr = self.act_codes, self.dropout_rates
        self.net.n_weights = n_weights
        self.net.units = &u[0]
        self.net.coef_off = &co[0]
        self.net.icpt_off = &io[0]
        self.net.n_coef = io[0]
        self.net.act = &ac[0]
        self.net.dropout = &dr[0]
        self.net.loss = LOSS_CODES[loss]
        self.net.loss_param = float(loss_param)
        self.net.alpha = float(alpha)
        self.net.l1_ratio = float(l1_ratio)
        self.any_dropout = any(r > 0 for r in dropout)
        self.any_z = any(fm_needs_z(ac[i]) for i in range(n_weights - 1))

    @property
    def n_params(self):
        return int(self.icpt_off[-1] + self.units[-1])

    def workspace_size(self, Py_ssize_t chunk, bint gather, bint training):
        """Elements of the workspace for chunks of `chunk` rows."""
        return _workspace_size(&self.net, chunk, gather, training)


cdef struct Input:
    # Dense X (C-contiguous) when data is NULL, CSR otherwise.
    const void *dense
    const void *data
    const Py_ssize_t *indices
    const Py_ssize_t *indptr
    Py_ssize_t n_features


cdef inline Py_ssize_t _row(const Py_ssize_t *rows, Py_ssize_t i) noexcept nogil:
    return rows[i] if rows != NULL else i


cdef inline void _bias_act(const floating *z, const floating *b, floating *out,
                           Py_ssize_t rows, Py_ssize_t cols, int act) noexcept nogil:
    if floating is float:
        fm_bias_act_s(z, b, out, rows, cols, act)
    else:
        fm_bias_act_d(z, b, out, rows, cols, act)


cdef inline void _act_deriv(const floating *a, const floating *z, floating *delta,
                            Py_ssize_t n, int act) noexcept nogil:
    if floating is float:
        fm_act_deriv_s(a, z, delta, n, act)
    else:
        fm_act_deriv_d(a, z, delta, n, act)


cdef inline void _colsum_add(const floating *d, floating *out, Py_ssize_t rows,
                             Py_ssize_t cols) noexcept nogil:
    if floating is float:
        fm_colsum_add_s(d, out, rows, cols)
    else:
        fm_colsum_add_d(d, out, rows, cols)


# ----------------------------------------------------------------------
# Workspace: per chunk of rows, the gathered input, every layer's activations,
# pre-activations where a derivative needs them, dropout masks and dropped
# activations (training), deltas and the gathered targets and weights.
# ----------------------------------------------------------------------
cdef struct Buffers:
    void **acts      # acts[i], i = 0..L: layer i's values (acts[0]: gathered X)
    void **zs        # zs[i]: pre-activations of layer i, or NULL
    void **masks     # masks[i]: dropout mask of hidden layer i, or NULL
    void **dropped   # dropped[i]: acts[i] * masks[i], or NULL
    void **deltas    # deltas[i], i = 0..L-1: dloss/dz of weight layer i's output
    void *ybuf
    void *swbuf


cdef inline bint _has_z(const Net *net, Py_ssize_t i) noexcept nogil:
    # Hidden layer i (1 <= i < L) keeps its pre-activations.
    return 0 < i < net.n_weights and fm_needs_z(net.act[i - 1])


cdef inline bint _has_dropout(const Net *net, Py_ssize_t i, bint training) noexcept nogil:
    return training and 0 < i < net.n_weights and net.dropout[i - 1] > 0


cdef Py_ssize_t _workspace_size(const Net *net, Py_ssize_t chunk, bint gather,
                                bint training) noexcept nogil:
    cdef Py_ssize_t i, size = 0, L = net.n_weights
    if gather:
        size += chunk * net.units[0]
    for i in range(1, L + 1):
        size += chunk * net.units[i]
        if _has_z(net, i):
            size += chunk * net.units[i]
        if _has_dropout(net, i, training):
            size += 2 * chunk * net.units[i]
        if training:
            size += chunk * net.units[i]       # deltas[i - 1]
    if training:
        size += chunk * net.units[L] + chunk   # ybuf, swbuf
    return size


cdef int _alloc_buffers(Buffers *buf, Py_ssize_t L) except -1:
    cdef void **block = <void **>calloc(5 * (L + 1), sizeof(void *))
    if block == NULL:
        raise MemoryError()
    buf.acts = block
    buf.zs = block + (L + 1)
    buf.masks = block + 2 * (L + 1)
    buf.dropped = block + 3 * (L + 1)
    buf.deltas = block + 4 * (L + 1)
    buf.ybuf = NULL
    buf.swbuf = NULL
    return 0


cdef void _layout(const Net *net, floating *ws, Py_ssize_t chunk, bint gather,
                  bint training, Buffers *buf) noexcept nogil:
    cdef Py_ssize_t i, L = net.n_weights
    buf.acts[0] = NULL
    if gather:
        buf.acts[0] = ws
        ws += chunk * net.units[0]
    for i in range(1, L + 1):
        buf.acts[i] = ws
        ws += chunk * net.units[i]
        buf.zs[i] = NULL
        if _has_z(net, i):
            buf.zs[i] = ws
            ws += chunk * net.units[i]
        buf.masks[i] = NULL
        buf.dropped[i] = NULL
        if _has_dropout(net, i, training):
            buf.masks[i] = ws
            ws += chunk * net.units[i]
            buf.dropped[i] = ws
            ws += chunk * net.units[i]
    if training:
        for i in range(L):
            buf.deltas[i] = ws
            ws += chunk * net.units[i + 1]
        buf.ybuf = ws
        ws += chunk * net.units[L]
        buf.swbuf = ws


cdef void _forward(const Net *net, const Input *X, const Py_ssize_t *rows,
                   Py_ssize_t start, Py_ssize_t nrows, const floating *params,
                   Buffers *buf, floating *out, uint64_t *rng) noexcept nogil:
    """Forward `nrows` rows; the output layer is written to `out` (nrows x
    n_outputs), hidden layers to buf.acts[1..].  Dropout is applied where
    buf.masks is set (training), drawing from `rng`."""
    cdef Py_ssize_t i, r, p, src, nf = X.n_features, L = net.n_weights
    cdef const floating *a_in
    cdef const floating *dense = <const floating *>X.dense
    cdef const floating *data = <const floating *>X.data
    cdef floating *a_out
    cdef floating *z
    cdef const floating *W
    cdef const floating *b
    cdef Py_ssize_t fan_in, fan_out
    for i in range(L):
        fan_in = net.units[i]
        fan_out = net.units[i + 1]
        a_out = out if i == L - 1 else <floating *>buf.acts[i + 1]
        z = <floating *>buf.zs[i + 1] if buf.zs[i + 1] != NULL else a_out
        W = params + net.coef_off[i]
        b = params + net.icpt_off[i]
        if i == 0 and data != NULL:
            memset(z, 0, nrows * fan_out * sizeof(floating))
            for r in range(nrows):
                src = _row(rows, start + r)
                for p in range(X.indptr[src], X.indptr[src + 1]):
                    axpy(fan_out, data[p], W + X.indices[p] * fan_out,
                         z + r * fan_out)
        else:
            if i == 0:
                if rows == NULL:
                    a_in = dense + start * nf
                else:
                    for r in range(nrows):
                        memcpy(<floating *>buf.acts[0] + r * nf,
                               dense + rows[start + r] * nf, nf * sizeof(floating))
                    a_in = <const floating *>buf.acts[0]
            else:
                # Hidden layer i after dropout, if any.
                a_in = <const floating *>(buf.dropped[i] if buf.dropped[i] != NULL
                                             else buf.acts[i])
            gemm_rm(False, False, nrows, fan_out, fan_in, <floating>1.0, a_in,
                    fan_in, W, fan_out, <floating>0.0, z, fan_out)
        _bias_act(z, b, a_out, nrows, fan_out, net.act[i])
        if z != a_out:
            # Keep the pre-activation z + b for derivatives that need it.
            if floating is float:
                fm_add_bias_s(z, b, nrows, fan_out)
            else:
                fm_add_bias_d(z, b, nrows, fan_out)
        if buf.masks[i + 1] != NULL:
            if floating is float:
                fm_dropout_s(a_out, <float *>buf.masks[i + 1], <float *>buf.dropped[i + 1],
                             nrows * fan_out, net.dropout[i], rng)
            else:
                fm_dropout_d(a_out, <double *>buf.masks[i + 1],
                             <double *>buf.dropped[i + 1], nrows * fan_out,
                             net.dropout[i], rng)
    buf.acts[L] = out


cdef double _loss_grad_chunk(const Net *net, const Input *X, const floating *Y,
                             const floating *SW, const Py_ssize_t *rows,
                             Py_ssize_t start, Py_ssize_t nrows,
                             const floating *params, floating *grad,
                             bint accumulate, Buffers *buf, double *sw_sum,
                             uint64_t *rng) noexcept nogil:
    """Forward and backward over one chunk of rows.

    Writes (or adds, when `accumulate`) the *unscaled* data gradient
    sum_r sw_r dloss_r/dparams into `grad`, returns sum_r sw_r loss_r and adds
    sum_r sw_r to `sw_sum[0]`.  The penalty and the division by the weight sum
    are left to the caller, which knows whether this chunk is a whole batch.
    """
    cdef Py_ssize_t i, r, p, src, L = net.n_weights
    cdef Py_ssize_t n_out = net.units[L], fan_in, fan_out
    cdef const floating *y
    cdef const floating *sw
    cdef const floating *a_in
    cdef const floating *data = <const floating *>X.data
    cdef floating *ybuf = <floating *>buf.ybuf
    cdef floating *swbuf = <floating *>buf.swbuf
    cdef floating *d
    cdef floating *d_prev
    cdef floating *gW
    cdef floating *gb
    cdef floating *mask
    cdef double loss, wsum = 0.0
    cdef floating beta = 1.0 if accumulate else 0.0

    _forward(net, X, rows, start, nrows, params, buf, <floating *>buf.acts[L], rng)

    if rows == NULL:
        y = Y + start * n_out
        sw = SW + start
    else:
        for r in range(nrows):
            memcpy(ybuf + r * n_out, Y + rows[start + r] * n_out,
                   n_out * sizeof(floating))
            swbuf[r] = SW[rows[start + r]]
        y = ybuf
        sw = swbuf
    for r in range(nrows):
        wsum += sw[r]
    sw_sum[0] += wsum

    d = <floating *>buf.deltas[L - 1]
    if floating is float:
        loss = fm_loss_delta_s(<float *>buf.acts[L], y, sw, d, nrows, n_out, net.loss,
                               net.act[L - 1], net.loss_param)
    else:
        loss = fm_loss_delta_d(<double *>buf.acts[L], y, sw, d, nrows, n_out, net.loss,
                               net.act[L - 1], net.loss_param)

    for i in range(L - 1, -1, -1):
        fan_in = net.units[i]
        fan_out = net.units[i + 1]
        d = <floating *>buf.deltas[i]
        gW = grad + net.coef_off[i]
        gb = grad + net.icpt_off[i]
        if not accumulate:
            memset(gb, 0, fan_out * sizeof(floating))
        _colsum_add(d, gb, nrows, fan_out)
        if i == 0 and data != NULL:
            if not accumulate:
                memset(gW, 0, fan_in * fan_out * sizeof(floating))
            for r in range(nrows):
                src = _row(rows, start + r)
                for p in range(X.indptr[src], X.indptr[src + 1]):
                    axpy(fan_out, data[p], d + r * fan_out, gW + X.indices[p] * fan_out)
        else:
            if i == 0:
                a_in = (<const floating *>X.dense) + start * fan_in if rows == NULL \
                    else <const floating *>buf.acts[0]
            else:
                # Hidden layer i after dropout, if any.
                a_in = <const floating *>(buf.dropped[i] if buf.dropped[i] != NULL
                                             else buf.acts[i])
            gemm_rm(True, False, fan_in, fan_out, nrows, <floating>1.0, a_in, fan_in,
                    d, fan_out, beta, gW, fan_out)
        if i > 0:
            d_prev = <floating *>buf.deltas[i - 1]
            gemm_rm(False, True, nrows, fan_in, fan_out, <floating>1.0, d, fan_out,
                    params + net.coef_off[i], fan_out, <floating>0.0, d_prev, fan_in)
            mask = <floating *>buf.masks[i]
            if mask != NULL:
                for p in range(nrows * fan_in):
                    d_prev[p] = d_prev[p] * mask[p]
            _act_deriv(<const floating *>buf.acts[i], <const floating *>buf.zs[i],
                       d_prev, nrows * fan_in, net.act[i - 1])
    return loss


# ----------------------------------------------------------------------
# Penalty and optimizer steps over the flat buffer
# ----------------------------------------------------------------------
cdef inline double _sum_squares(const floating *x, Py_ssize_t n) noexcept nogil:
    # Four partial sums break the dependency chain of a single accumulator.
    cdef Py_ssize_t j, n4 = n - n % 4
    cdef double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    for j in range(0, n4, 4):
        s0 += <double>x[j] * <double>x[j]
        s1 += <double>x[j + 1] * <double>x[j + 1]
        s2 += <double>x[j + 2] * <double>x[j + 2]
        s3 += <double>x[j + 3] * <double>x[j + 3]
    for j in range(n4, n):
        s0 += <double>x[j] * <double>x[j]
    return (s0 + s1) + (s2 + s3)


cdef double _penalty_value(const Net *net, const floating *params) noexcept nogil:
    """(1 - l1_ratio) * 0.5 ||W||^2 + l1_ratio ||W||_1 (times alpha later)."""
    cdef Py_ssize_t j
    cdef double l1 = 0.0, value = 0.0
    if net.l1_ratio != 1.0:
        value = (1.0 - net.l1_ratio) * 0.5 * _sum_squares(params, net.n_coef)
    if net.l1_ratio != 0.0:
        for j in range(net.n_coef):
            l1 += fabs(<double>params[j])
        value += net.l1_ratio * l1
    return value


cdef void _scale_gradient(const Net *net, const floating *params, floating *grad,
                          Py_ssize_t n_params, double sw_sum) noexcept nogil:
    """grad <- (grad + d penalty / dW) / sw_sum: the batch gradient from its
    unscaled data part."""
    cdef Py_ssize_t j
    cdef floating a2 = <floating>(net.alpha * (1.0 - net.l1_ratio))
    cdef floating a1 = <floating>(net.alpha * net.l1_ratio)
    cdef floating s = <floating>sw_sum, w
    if net.l1_ratio == 0.0:
        for j in range(net.n_coef):
            grad[j] = (grad[j] + a2 * params[j]) / s
    else:
        for j in range(net.n_coef):
            w = params[j]
            grad[j] = (grad[j] + a2 * w + a1 * (
                <floating>1 if w > 0 else (<floating>-1 if w < 0 else <floating>0))) / s
    for j in range(net.n_coef, n_params):
        grad[j] = grad[j] / s


cdef struct StepConfig:
    int solver
    double lr             # current learning rate (schedule applied by Python)
    double momentum
    bint nesterov
    double beta_1
    double beta_2
    double epsilon
    double rho
    double weight_decay
    long long t           # Adam/AdamW step count


cdef inline void _sgd_update(floating *params, const floating *grad,
                             floating *velocity, Py_ssize_t lo, Py_ssize_t hi,
                             floating a, floating s, floating mu, floating eta,
                             bint nesterov) noexcept nogil:
    # g = (grad + a w) / s is the scaled batch gradient (a = 0 for intercepts).
    cdef Py_ssize_t j
    cdef floating v, g, w
    for j in range(lo, hi):
        w = params[j]
        g = (grad[j] + a * w) / s
        v = mu * velocity[j] - eta * g
        velocity[j] = v
        params[j] = w + ((mu * v - eta * g) if nesterov else v)


cdef inline void _adam_update(floating *params, const floating *grad, floating *m,
                              floating *v, Py_ssize_t lo, Py_ssize_t hi, floating a,
                              floating s, double lr_t, double beta_1, double beta_2,
                              double epsilon, double decay) noexcept nogil:
    # All arithmetic in the training dtype (float32 runs twice the SIMD width).
    # `decay` (AdamW) shrinks the weights before the Adam step.
    cdef Py_ssize_t j
    cdef floating b1 = <floating>beta_1, b2 = <floating>beta_2
    cdef floating c1 = <floating>(1.0 - beta_1), c2 = <floating>(1.0 - beta_2)
    cdef floating eps = <floating>epsilon, g, mj, vj, w
    cdef floating step = <floating>lr_t, shrink = <floating>decay
    for j in range(lo, hi):
        w = params[j]
        g = (grad[j] + a * w) / s
        w = w - shrink * w
        mj = b1 * m[j] + c1 * g
        vj = b2 * v[j] + c2 * (g * g)
        m[j] = mj
        v[j] = vj
        params[j] = w + (-step * mj) / (<floating>sqrt(vj) + eps)


cdef void _adaptive_update(floating *params, const floating *grad, floating *s1,
                           floating *s2, Py_ssize_t n, const StepConfig *cfg) noexcept nogil:
    """Adagrad, RMSprop and Adadelta on an already scaled gradient."""
    cdef Py_ssize_t j
    cdef floating g, dx, lr = <floating>cfg.lr, eps = <floating>cfg.epsilon
    cdef floating rho = <floating>cfg.rho, crho = <floating>(1.0 - cfg.rho)
    for j in range(n):
        g = grad[j]
        if cfg.solver == 2:      # adagrad
            s1[j] = s1[j] + g * g
            params[j] = params[j] - lr * g / (<floating>sqrt(s1[j]) + eps)
        elif cfg.solver == 3:    # rmsprop
            s1[j] = rho * s1[j] + crho * (g * g)
            params[j] = params[j] - lr * g / (<floating>sqrt(s1[j]) + eps)
        else:                    # adadelta (Zeiler 2012), step scaled by lr
            s1[j] = rho * s1[j] + crho * (g * g)
            dx = -(<floating>sqrt(s2[j] + eps) / <floating>sqrt(s1[j] + eps)) * g
            s2[j] = rho * s2[j] + crho * (dx * dx)
            params[j] = params[j] + lr * dx


cdef void _step(const Net *net, floating *params, floating *grad, floating *s1,
                floating *s2, Py_ssize_t n, double sw_sum, StepConfig *cfg) noexcept nogil:
    """One optimizer step from the unscaled batch gradient in `grad`."""
    cdef floating a = <floating>net.alpha, s = <floating>sw_sum
    cdef double lr_t, decay = 0.0
    if net.l1_ratio != 0.0 or cfg.solver >= 2:
        # General path: scale the gradient in place first, then step with it.
        _scale_gradient(net, params, grad, n, sw_sum)
        a = 0
        s = 1
    if cfg.solver == 0:
        _sgd_update(params, grad, s1, 0, net.n_coef, a, s, <floating>cfg.momentum,
                    <floating>cfg.lr, cfg.nesterov)
        _sgd_update(params, grad, s1, net.n_coef, n, <floating>0, s,
                    <floating>cfg.momentum, <floating>cfg.lr, cfg.nesterov)
    elif cfg.solver == 1 or cfg.solver == 5:
        cfg.t += 1
        lr_t = cfg.lr * sqrt(1.0 - pow(cfg.beta_2, <double>cfg.t)) / \
            (1.0 - pow(cfg.beta_1, <double>cfg.t))
        if cfg.solver == 5:
            decay = cfg.lr * cfg.weight_decay
        _adam_update(params, grad, s1, s2, 0, net.n_coef, a, s, lr_t, cfg.beta_1,
                     cfg.beta_2, cfg.epsilon, decay)
        _adam_update(params, grad, s1, s2, net.n_coef, n, <floating>0, s, lr_t,
                     cfg.beta_1, cfg.beta_2, cfg.epsilon, 0.0)
    else:
        _adaptive_update(params, grad, s1, s2, n, cfg)


# ----------------------------------------------------------------------
# Python-facing entry points
# ----------------------------------------------------------------------
cdef int _check_params(const Net *net, Py_ssize_t n_params) except -1:
    cdef Py_ssize_t L = net.n_weights
    if n_params != net.icpt_off[L - 1] + net.units[L]:
        raise ValueError("the parameter buffer does not match the network layout")
    return 0


cdef int _make_input(Input *inp, const floating[:, ::1] dense,
                     const floating[::1] data, const Py_ssize_t[::1] indices,
                     const Py_ssize_t[::1] indptr, bint sparse,
                     Py_ssize_t n_rows, Py_ssize_t n_features) except -1:
    inp.n_features = n_features
    inp.dense = NULL
    inp.data = NULL
    inp.indices = NULL
    inp.indptr = NULL
    if sparse:
        if indptr.shape[0] != n_rows + 1:
            raise ValueError("CSR indptr does not match the number of rows")
        inp.indptr = &indptr[0]
        if data.shape[0] > 0:
            inp.data = &data[0]
            inp.indices = &indices[0]
        else:
            # An all-zero CSR matrix: any non-NULL data pointer marks it sparse.
            inp.data = <const void *>&indptr[0]
    else:
        if dense.shape[0] != n_rows or dense.shape[1] != n_features:
            raise ValueError("dense X does not match the expected shape")
        if n_rows > 0 and n_features > 0:
            inp.dense = &dense[0, 0]
    return 0


def train_epoch(
    NetSpec spec,
    const floating[:, ::1] X_dense, const floating[::1] X_data,
    const Py_ssize_t[::1] X_indices, const Py_ssize_t[::1] X_indptr, bint sparse,
    const floating[:, ::1] Y, const floating[::1] sample_weight,
    const Py_ssize_t[::1] sample_idx, bint use_idx, Py_ssize_t batch_size,
    floating[::1] params, floating[::1] grad, floating[::1] workspace,
    int solver, floating[::1] state1, floating[::1] state2, double learning_rate,
    double momentum, bint nesterov, double beta_1, double beta_2, double epsilon,
    double rho, double weight_decay, long long t, unsigned long long seed,
):
    """Run one epoch of mini-batch training in compiled code.

    Batches are consecutive slices of `sample_idx` (or of the rows in order
    when `use_idx` is false), the last one short.  Each batch does forward
    (with dropout masks drawn from a stream seeded by `seed`), loss, backward,
    penalty and one optimizer step (SOLVER_CODES; state1/state2 are the
    solver's per-parameter buffers, `t` counts Adam steps).

    Returns (sum over batches of batch_loss * batch_rows, t, status).  On a
    non-finite batch loss the loop stops with status STATUS_NONFINITE.  A
    signal handler that raises (Ctrl-C) ends the loop within ~50 ms and its
    exception propagates.
    """
    cdef Net *net = &spec.net
    cdef Input inp
    cdef Buffers buf
    cdef StepConfig cfg
    cdef Py_ssize_t n_data = Y.shape[0], n_params = params.shape[0]
    cdef Py_ssize_t n = sample_idx.shape[0] if use_idx else n_data
    cdef Py_ssize_t start, nrows, j
    cdef double accumulated = 0.0, data_loss, sw_sum, batch_loss, penalty
    cdef int status = _STATUS_OK
    cdef const Py_ssize_t *rows = &sample_idx[0] if use_idx and n > 0 else NULL
    cdef SignalWatch watch
    cdef bint interrupted = False
    cdef bint gather = use_idx and not sparse
    cdef uint64_t rng = seed

    _check_params(net, n_params)
    _make_input(&inp, X_dense, X_data, X_indices, X_indptr, sparse, n_data,
                net.units[0])
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    batch_size = max(1, min(batch_size, n))
    if sample_weight.shape[0] != n_data or Y.shape[1] != net.units[net.n_weights]:
        raise ValueError("Y or sample_weight do not match X")
    for j in range(n if use_idx else 0):
        if sample_idx[j] < 0 or sample_idx[j] >= n_data:
            raise ValueError("sample_idx holds a row index outside X")
    if workspace.shape[0] < _workspace_size(net, batch_size, gather, True):
        raise ValueError("workspace too small")
    if grad.shape[0] != n_params or state1.shape[0] != n_params or \
            (solver in (1, 4, 5) and state2.shape[0] != n_params):
        raise ValueError("parameter buffers differ in length")
    if n == 0:
        return 0.0, t, status
    cfg.solver = solver
    cfg.lr = learning_rate
    cfg.momentum = momentum
    cfg.nesterov = nesterov
    cfg.beta_1 = beta_1
    cfg.beta_2 = beta_2
    cfg.epsilon = epsilon
    cfg.rho = rho
    cfg.weight_decay = weight_decay
    cfg.t = t

    _alloc_buffers(&buf, net.n_weights)
    try:
        watch.next_check = _now() + _SIGNAL_INTERVAL
        with nogil:
            _layout(net, &workspace[0], batch_size, gather, True, &buf)
            start = 0
            while start < n:
                nrows = min(batch_size, n - start)
                sw_sum = 0.0
                data_loss = _loss_grad_chunk(net, &inp, &Y[0, 0], &sample_weight[0],
                                             rows, start, nrows, &params[0], &grad[0],
                                             False, &buf, &sw_sum, &rng)
                if sw_sum == 0:
                    # Only zero-weight samples: nothing to learn from this batch.
                    start += nrows
                    continue
                # The batch's loss is that of the parameters before the step.
                penalty = _penalty_value(net, &params[0]) if net.alpha != 0 else 0.0
                batch_loss = (data_loss + net.alpha * penalty) / sw_sum
                _step(net, &params[0], &grad[0], &state1[0],
                      &state2[0] if state2.shape[0] > 0 else NULL, n_params, sw_sum,
                      &cfg)
                if not isfinite(batch_loss):
                    # The estimator discards this call's parameters on this status.
                    status = _STATUS_NONFINITE
                    break
                accumulated += batch_loss * nrows
                start += nrows
                if _signalled(&watch):
                    interrupted = True
                    break
    finally:
        free(buf.acts)
    if interrupted:
        _raise_pending()
    return accumulated, cfg.t, status


def loss_grad(
    NetSpec spec,
    const floating[:, ::1] X_dense, const floating[::1] X_data,
    const Py_ssize_t[::1] X_indices, const Py_ssize_t[::1] X_indptr, bint sparse,
    const floating[:, ::1] Y, const floating[::1] sample_weight,
    const floating[::1] params, floating[::1] grad, floating[::1] workspace,
    Py_ssize_t chunk,
):
    """Full-batch objective and gradient (L-BFGS, gradient checks, validation
    loss), computed over row chunks of at most `chunk` rows so the workspace
    does not grow with the number of samples.  No dropout.  Returns
    (objective, data_loss) with data_loss the weighted mean loss without the
    penalty; `grad` receives the objective's gradient."""
    cdef Net *net = &spec.net
    cdef Input inp
    cdef Buffers buf
    cdef Py_ssize_t n = Y.shape[0], n_params = params.shape[0], start, nrows
    cdef double data_loss = 0.0, sw_sum = 0.0, penalty = 0.0
    cdef SignalWatch watch
    cdef bint interrupted = False
    cdef uint64_t rng = 0

    _check_params(net, n_params)
    _make_input(&inp, X_dense, X_data, X_indices, X_indptr, sparse, n, net.units[0])
    if n == 0:
        raise ValueError("loss_grad needs at least one sample")
    if sample_weight.shape[0] != n or Y.shape[1] != net.units[net.n_weights]:
        raise ValueError("Y or sample_weight do not match X")
    chunk = max(1, min(chunk, n))
    if workspace.shape[0] < _workspace_size(net, chunk, False, True):
        raise ValueError("workspace too small")
    if grad.shape[0] != n_params:
        raise ValueError("grad and params differ in length")
    _alloc_buffers(&buf, net.n_weights)
    try:
        watch.next_check = _now() + _SIGNAL_INTERVAL
        with nogil:
            # training=False: no dropout buffers, but deltas are laid out by
            # the training flag, so lay out with it and clear the masks.
            _layout(net, &workspace[0], chunk, False, True, &buf)
            for start in range(net.n_weights + 1):
                buf.masks[start] = NULL
                buf.dropped[start] = NULL
            start = 0
            while start < n:
                nrows = min(chunk, n - start)
                data_loss += _loss_grad_chunk(net, &inp, &Y[0, 0], &sample_weight[0],
                                              NULL, start, nrows, &params[0], &grad[0],
                                              start > 0, &buf, &sw_sum, &rng)
                start += nrows
                if _signalled(&watch):
                    interrupted = True
                    break
            if net.alpha != 0:
                penalty = net.alpha * _penalty_value(net, &params[0])
            _scale_gradient(net, &params[0], &grad[0], n_params, sw_sum)
    finally:
        free(buf.acts)
    if interrupted:
        _raise_pending()
    return (data_loss + penalty) / sw_sum, data_loss / sw_sum


def predict(
    NetSpec spec,
    const floating[:, ::1] X_dense, const floating[::1] X_data,
    const Py_ssize_t[::1] X_indices, const Py_ssize_t[::1] X_indptr, bint sparse,
    const floating[::1] params, floating[:, ::1] out, Py_ssize_t chunk,
):
    """Output-layer activations for every row of X, computed over row chunks."""
    cdef Net *net = &spec.net
    cdef Input inp
    cdef Buffers buf
    cdef Py_ssize_t n = out.shape[0], start, nrows
    cdef floating *ws
    cdef SignalWatch watch
    cdef bint interrupted = False

    _check_params(net, params.shape[0])
    _make_input(&inp, X_dense, X_data, X_indices, X_indptr, sparse, n, net.units[0])
    if out.shape[1] != net.units[net.n_weights]:
        raise ValueError("out has the wrong number of columns")
    if n == 0:
        return
    chunk = max(1, min(chunk, n))
    ws = <floating *>malloc(max(1, _workspace_size(net, chunk, False, False))
                            * sizeof(floating))
    if ws == NULL:
        raise MemoryError()
    try:
        _alloc_buffers(&buf, net.n_weights)
    except MemoryError:
        free(ws)
        raise
    try:
        watch.next_check = _now() + _SIGNAL_INTERVAL
        with nogil:
            _layout(net, ws, chunk, False, False, &buf)
            start = 0
            while start < n:
                nrows = min(chunk, n - start)
                # The output layer goes straight into `out`.
                _forward(net, &inp, NULL, start, nrows, &params[0], &buf,
                         &out[start, 0], NULL)
                start += nrows
                if _signalled(&watch):
                    interrupted = True
                    break
    finally:
        free(buf.acts)
        free(ws)
    if interrupted:
        _raise_pending()


# ----------------------------------------------------------------------
# Python-callable twins of the elementwise kernels, for tests.
# ----------------------------------------------------------------------
def bias_activation(floating[:, ::1] z, const floating[::1] b, int act):
    """In place: z[r, j] = f(z[r, j] + b[j]) for activation code `act`."""
    if b.shape[0] != z.shape[1]:
        raise ValueError("b must have one entry per column of z")
    if z.shape[0] * z.shape[1] == 0:
        return
    with nogil:
        _bias_act(&z[0, 0], &b[0], &z[0, 0], z.shape[0], z.shape[1], act)


def activation_derivative(const floating[:, ::1] a, const floating[:, ::1] z,
                          floating[:, ::1] delta, int act):
    """In place: delta *= f'(z) given a = f(z) (and z, used by gelu/silu/gaussian)."""
    if (a.shape[0] != delta.shape[0] or a.shape[1] != delta.shape[1] or
            z.shape[0] != a.shape[0] or z.shape[1] != a.shape[1]):
        raise ValueError("a, z and delta must have the same shape")
    if a.shape[0] * a.shape[1] == 0:
        return
    with nogil:
        _act_deriv(&a[0, 0], &z[0, 0], &delta[0, 0], a.shape[0] * a.shape[1], act)


def loss_delta(const floating[:, ::1] p, const floating[:, ::1] y,
               const floating[::1] sw, floating[:, ::1] delta, int loss, int out_act,
               double loss_param=1.0):
    """delta = dloss/dz * sw[:, None] for outputs p = f(z) (activation code
    `out_act`); returns sum_r sw[r] * loss(y[r], p[r])."""
    cdef double total
    if (p.shape[0] != y.shape[0] or p.shape[1] != y.shape[1] or
            delta.shape[0] != p.shape[0] or delta.shape[1] != p.shape[1] or
            sw.shape[0] != p.shape[0]):
        raise ValueError("p, y, delta and sw do not match")
    if p.shape[0] * p.shape[1] == 0:
        return 0.0
    with nogil:
        if floating is float:
            total = fm_loss_delta_s(&p[0, 0], &y[0, 0], &sw[0], &delta[0, 0],
                                    p.shape[0], p.shape[1], loss, out_act, loss_param)
        else:
            total = fm_loss_delta_d(&p[0, 0], &y[0, 0], &sw[0], &delta[0, 0],
                                    p.shape[0], p.shape[1], loss, out_act, loss_param)
    return total
