# cython: language_level=3
"""Compiled training engine: forward/backward passes, one epoch of mini-batches,
the full-batch objective for L-BFGS, and prediction.

Layering:
  * csrc/elementwise.h       per-element activations, derivatives, loss+delta
  * cdef functions here      one chunk of rows through the network (no GIL)
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
from libc.math cimport sqrt, pow, isfinite
from libc.stdlib cimport malloc, free
from libc.string cimport memset, memcpy

cdef extern from "Python.h":
    # Declared without an exception value: a raised handler's exception stays
    # pending until the loop has been left, then _raise_pending() propagates it.
    int _check_signals "PyErr_CheckSignals"()
from posix.time cimport clock_gettime, timespec, CLOCK_MONOTONIC

from ._blas cimport gemm_rm, axpy

cdef extern from "elementwise.h" nogil:
    void fm_bias_act_d(double *z, const double *b, Py_ssize_t rows, Py_ssize_t cols, int act)
    void fm_bias_act_s(float *z, const float *b, Py_ssize_t rows, Py_ssize_t cols, int act)
    void fm_act_deriv_d(const double *a, double *delta, Py_ssize_t n, int act)
    void fm_act_deriv_s(const float *a, float *delta, Py_ssize_t n, int act)
    double fm_loss_delta_d(const double *p, const double *y, const double *sw,
                           double *delta, Py_ssize_t rows, Py_ssize_t cols, int loss)
    double fm_loss_delta_s(const float *p, const float *y, const float *sw,
                           float *delta, Py_ssize_t rows, Py_ssize_t cols, int loss)
    void fm_colsum_add_d(const double *d, double *out, Py_ssize_t rows, Py_ssize_t cols)
    void fm_colsum_add_s(const float *d, float *out, Py_ssize_t rows, Py_ssize_t cols)


# Codes shared with csrc/elementwise.h.
ACTIVATION_CODES = {"identity": 0, "logistic": 1, "tanh": 2, "relu": 3,
                    "exp": 4, "softmax": 5}
LOSS_CODES = {"squared_error": 0, "log_loss": 1, "binary_log_loss": 2,
              "poisson": 3}
SOLVER_CODES = {"sgd": 0, "adam": 1}

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
    int hidden_act
    int out_act
    int loss


cdef struct Input:
    # Dense X (C-contiguous) when data is NULL, CSR otherwise.
    const void *dense
    const void *data
    const Py_ssize_t *indices
    const Py_ssize_t *indptr
    Py_ssize_t n_features


cdef inline Py_ssize_t _row(const Py_ssize_t *rows, Py_ssize_t i) noexcept nogil:
    return rows[i] if rows != NULL else i


cdef inline void _bias_act(floating *z, const floating *b, Py_ssize_t rows,
                           Py_ssize_t cols, int act) noexcept nogil:
    if floating is float:
        fm_bias_act_s(z, b, rows, cols, act)
    else:
        fm_bias_act_d(z, b, rows, cols, act)


cdef inline void _act_deriv(const floating *a, floating *delta, Py_ssize_t n,
                            int act) noexcept nogil:
    if floating is float:
        fm_act_deriv_s(a, delta, n, act)
    else:
        fm_act_deriv_d(a, delta, n, act)


cdef inline void _colsum_add(const floating *d, floating *out, Py_ssize_t rows,
                             Py_ssize_t cols) noexcept nogil:
    if floating is float:
        fm_colsum_add_s(d, out, rows, cols)
    else:
        fm_colsum_add_d(d, out, rows, cols)


cdef Py_ssize_t _workspace_size(const Net *net, Py_ssize_t chunk, bint gather,
                                bint backward) noexcept nogil:
    """Elements needed for `chunk` rows: gathered input, activations, and when
    training the deltas plus the gathered targets and weights."""
    cdef Py_ssize_t i, size = 0
    if gather:
        size += chunk * net.units[0]
    for i in range(1, net.n_weights + 1):
        size += chunk * net.units[i]
    if backward:
        for i in range(1, net.n_weights + 1):
            size += chunk * net.units[i]
        size += chunk * net.units[net.n_weights] + chunk
    return size


cdef void _layout(const Net *net, floating *ws, Py_ssize_t chunk, bint gather,
                  bint backward, floating **acts, floating **deltas,
                  floating **ybuf, floating **swbuf) noexcept nogil:
    cdef Py_ssize_t i
    acts[0] = NULL
    if gather:
        acts[0] = ws
        ws += chunk * net.units[0]
    for i in range(1, net.n_weights + 1):
        acts[i] = ws
        ws += chunk * net.units[i]
    if backward:
        for i in range(net.n_weights):
            deltas[i] = ws
            ws += chunk * net.units[i + 1]
        ybuf[0] = ws
        ws += chunk * net.units[net.n_weights]
        swbuf[0] = ws


cdef void _forward(const Net *net, const Input *X, const Py_ssize_t *rows,
                   Py_ssize_t start, Py_ssize_t nrows, const floating *params,
                   floating **acts, floating *out) noexcept nogil:
    """Forward `nrows` rows; the output layer is written to `out` (nrows x
    n_outputs), the hidden activations to acts[1..]."""
    cdef Py_ssize_t i, r, p, src, nf = X.n_features, L = net.n_weights
    cdef const floating *a_in
    cdef const floating *dense = <const floating *>X.dense
    cdef const floating *data = <const floating *>X.data
    cdef floating *z
    cdef const floating *W
    cdef Py_ssize_t fan_in, fan_out
    for i in range(L):
        fan_in = net.units[i]
        fan_out = net.units[i + 1]
        z = out if i == L - 1 else acts[i + 1]
        W = params + net.coef_off[i]
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
                        memcpy(acts[0] + r * nf, dense + rows[start + r] * nf,
                               nf * sizeof(floating))
                    a_in = acts[0]
            else:
                a_in = acts[i]
            gemm_rm(False, False, nrows, fan_out, fan_in, <floating>1.0, a_in,
                    fan_in, W, fan_out, <floating>0.0, z, fan_out)
        _bias_act(z, params + net.icpt_off[i], nrows, fan_out,
                  net.out_act if i == L - 1 else net.hidden_act)
        if i == L - 1:
            acts[L] = out


cdef double _loss_grad_chunk(const Net *net, const Input *X, const floating *Y,
                             const floating *SW, const Py_ssize_t *rows,
                             Py_ssize_t start, Py_ssize_t nrows,
                             const floating *params, floating *grad,
                             bint accumulate, floating **acts, floating **deltas,
                             floating *ybuf, floating *swbuf,
                             double *sw_sum) noexcept nogil:
    """Forward and backward over one chunk of rows.

    Writes (or adds, when `accumulate`) the *unscaled* data gradient
    sum_r sw_r dloss_r/dparams into `grad`, returns sum_r sw_r loss_r and adds
    sum_r sw_r to `sw_sum[0]`.  Regularisation and the division by the weight
    sum are left to the caller, which knows whether this chunk is a whole batch.
    """
    cdef Py_ssize_t i, r, p, src, L = net.n_weights
    cdef Py_ssize_t n_out = net.units[L], fan_in, fan_out
    cdef const floating *y
    cdef const floating *sw
    cdef const floating *a_in
    cdef const floating *data = <const floating *>X.data
    cdef floating *gW
    cdef floating *gb
    cdef double loss, wsum = 0.0
    cdef floating beta = 1.0 if accumulate else 0.0

    _forward(net, X, rows, start, nrows, params, acts, acts[L])

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

    if floating is float:
        loss = fm_loss_delta_s(acts[L], y, sw, deltas[L - 1], nrows, n_out, net.loss)
    else:
        loss = fm_loss_delta_d(acts[L], y, sw, deltas[L - 1], nrows, n_out, net.loss)

    for i in range(L - 1, -1, -1):
        fan_in = net.units[i]
        fan_out = net.units[i + 1]
        gW = grad + net.coef_off[i]
        gb = grad + net.icpt_off[i]
        if not accumulate:
            memset(gb, 0, fan_out * sizeof(floating))
        _colsum_add(deltas[i], gb, nrows, fan_out)
        if i == 0 and data != NULL:
            if not accumulate:
                memset(gW, 0, fan_in * fan_out * sizeof(floating))
            for r in range(nrows):
                src = _row(rows, start + r)
                for p in range(X.indptr[src], X.indptr[src + 1]):
                    axpy(fan_out, data[p], deltas[0] + r * fan_out,
                         gW + X.indices[p] * fan_out)
        else:
            if i == 0:
                a_in = (<const floating *>X.dense) + start * fan_in if rows == NULL else acts[0]
            else:
                a_in = acts[i]
            gemm_rm(True, False, fan_in, fan_out, nrows, <floating>1.0, a_in, fan_in,
                    deltas[i], fan_out, beta, gW, fan_out)
        if i > 0:
            gemm_rm(False, True, nrows, fan_in, fan_out, <floating>1.0, deltas[i],
                    fan_out, params + net.coef_off[i], fan_out, <floating>0.0,
                    deltas[i - 1], fan_in)
            _act_deriv(acts[i], deltas[i - 1], nrows * fan_in, net.hidden_act)
    return loss


cdef double _finish_objective(const Net *net, const floating *params,
                              floating *grad, double data_loss, double sw_sum,
                              double alpha, Py_ssize_t n_params) noexcept nogil:
    """Add the L2 term and divide by the weight sum: returns the objective
    data_loss / sw_sum + 0.5 alpha ||W||^2 / sw_sum, and turns `grad` into its
    gradient."""
    cdef Py_ssize_t j
    cdef double sq = _sum_squares(params, net.n_coef)
    cdef floating a = <floating>alpha
    cdef floating s = <floating>sw_sum
    for j in range(net.n_coef):
        grad[j] = (grad[j] + a * params[j]) / s
    for j in range(net.n_coef, n_params):
        grad[j] = grad[j] / s
    return data_loss / sw_sum + 0.5 * alpha * sq / sw_sum


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


cdef double _sgd_step(const Net *net, floating *params, floating *grad,
                      floating *velocity, Py_ssize_t n, double alpha, double sw_sum,
                      double lr, double momentum, bint nesterov) noexcept nogil:
    """Scale the raw batch gradient (L2 term, division by the weight sum) and
    take one SGD/momentum step, in one pass.  Returns ||W||^2 before the step."""
    cdef double sq = _sum_squares(params, net.n_coef)
    _sgd_update(params, grad, velocity, 0, net.n_coef, <floating>alpha,
                <floating>sw_sum, <floating>momentum, <floating>lr, nesterov)
    _sgd_update(params, grad, velocity, net.n_coef, n, <floating>0.0,
                <floating>sw_sum, <floating>momentum, <floating>lr, nesterov)
    return sq


cdef inline void _adam_update(floating *params, const floating *grad, floating *m,
                              floating *v, Py_ssize_t lo, Py_ssize_t hi, floating a,
                              floating s, double lr_t, double beta_1, double beta_2,
                              double epsilon) noexcept nogil:
    # Moments stay in the training dtype; the step itself is formed in double.
    cdef Py_ssize_t j
    cdef floating b1 = <floating>beta_1, b2 = <floating>beta_2
    cdef floating c1 = <floating>(1.0 - beta_1), c2 = <floating>(1.0 - beta_2)
    cdef floating eps = <floating>epsilon, g, mj, vj
    for j in range(lo, hi):
        g = (grad[j] + a * params[j]) / s
        mj = b1 * m[j] + c1 * g
        vj = b2 * v[j] + c2 * (g * g)
        m[j] = mj
        v[j] = vj
        params[j] = <floating>(<double>params[j] + (-lr_t * <double>mj) /
                               <double>(<floating>sqrt(vj) + eps))


cdef double _adam_step(const Net *net, floating *params, floating *grad, floating *m,
                       floating *v, Py_ssize_t n, double alpha, double sw_sum,
                       double lr_t, double beta_1, double beta_2,
                       double epsilon) noexcept nogil:
    """Scale the raw batch gradient and take one Adam step.  Returns ||W||^2
    before the step."""
    cdef double sq = _sum_squares(params, net.n_coef)
    _adam_update(params, grad, m, v, 0, net.n_coef, <floating>alpha, <floating>sw_sum,
                 lr_t, beta_1, beta_2, epsilon)
    _adam_update(params, grad, m, v, net.n_coef, n, <floating>0.0, <floating>sw_sum,
                 lr_t, beta_1, beta_2, epsilon)
    return sq


cdef inline double _sum_squares(const floating *x, Py_ssize_t n) noexcept nogil:
    # Four partial sums break the dependency chain of a single accumulator
    # (about 4x faster; the loss value moves by an ulp or so).
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


cdef int _make_net(Net *net, const Py_ssize_t[::1] units,
                   const Py_ssize_t[::1] coef_off, const Py_ssize_t[::1] icpt_off,
                   int hidden_act, int out_act, int loss) except -1:
    if units.shape[0] < 2 or coef_off.shape[0] != units.shape[0] - 1 \
            or icpt_off.shape[0] != units.shape[0] - 1:
        raise ValueError("inconsistent network layout")
    net.n_weights = units.shape[0] - 1
    net.units = &units[0]
    net.coef_off = &coef_off[0]
    net.icpt_off = &icpt_off[0]
    net.n_coef = icpt_off[0]
    net.hidden_act = hidden_act
    net.out_act = out_act
    net.loss = loss
    return 0


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


def workspace_size(const Py_ssize_t[::1] units, Py_ssize_t chunk, bint gather,
                   bint backward):
    """Number of elements of the per-fit workspace for chunks of `chunk` rows."""
    cdef Net net
    cdef Py_ssize_t[::1] off = units[:units.shape[0] - 1].copy()
    _make_net(&net, units, off, off, 0, 0, 0)
    return _workspace_size(&net, chunk, gather, backward)


def train_epoch(
    const floating[:, ::1] X_dense, const floating[::1] X_data,
    const Py_ssize_t[::1] X_indices, const Py_ssize_t[::1] X_indptr, bint sparse,
    const floating[:, ::1] Y, const floating[::1] sample_weight,
    const Py_ssize_t[::1] sample_idx, bint use_idx, Py_ssize_t batch_size,
    const Py_ssize_t[::1] units, const Py_ssize_t[::1] coef_off,
    const Py_ssize_t[::1] icpt_off, int hidden_act, int out_act, int loss,
    double alpha, floating[::1] params, floating[::1] grad,
    floating[::1] workspace, int solver, floating[::1] state1,
    floating[::1] state2, double learning_rate, double momentum, bint nesterov,
    double beta_1, double beta_2, double epsilon, long long t,
):
    """Run one epoch of mini-batch training in compiled code.

    Batches are consecutive slices of `sample_idx` (or of the rows in order
    when `use_idx` is false), the last one short.  Each batch does forward,
    loss, backward, L2 and one optimizer step (solver 0: SGD with momentum,
    state1 = velocities; solver 1: Adam, state1/state2 = moments, `t` counts
    batches).

    Returns (sum over batches of batch_loss * batch_rows, t, status,
    n_batches_done).  On a non-finite batch loss the loop stops before that
    batch's update with status STATUS_NONFINITE.
    """
    cdef Net net
    cdef Input inp
    cdef Py_ssize_t n_data = Y.shape[0], n_params = params.shape[0]
    cdef Py_ssize_t n = sample_idx.shape[0] if use_idx else n_data
    cdef Py_ssize_t start, nrows, n_batches = 0, j
    cdef double accumulated = 0.0, data_loss, sw_sum, batch_loss, lr_t, sq
    cdef int status = _STATUS_OK
    cdef const Py_ssize_t *rows = &sample_idx[0] if use_idx and n > 0 else NULL
    cdef SignalWatch watch
    cdef bint interrupted = False
    cdef floating **acts
    cdef floating **deltas
    cdef floating *ybuf = NULL
    cdef floating *swbuf = NULL

    _make_net(&net, units, coef_off, icpt_off, hidden_act, out_act, loss)
    _check_params(&net, params.shape[0])
    _make_input(&inp, X_dense, X_data, X_indices, X_indptr, sparse, n_data, units[0])
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    batch_size = max(1, min(batch_size, n))
    if sample_weight.shape[0] != n_data or Y.shape[1] != units[units.shape[0] - 1]:
        raise ValueError("Y or sample_weight do not match X")
    for j in range(n if use_idx else 0):
        if sample_idx[j] < 0 or sample_idx[j] >= n_data:
            raise ValueError("sample_idx holds a row index outside X")
    if workspace.shape[0] < _workspace_size(&net, batch_size,
                                           use_idx and not sparse, True):
        raise ValueError("workspace too small")
    if grad.shape[0] != n_params or state1.shape[0] != n_params or \
            (solver == 1 and state2.shape[0] != n_params):
        raise ValueError("parameter buffers differ in length")
    if n == 0:
        return 0.0, t, status, 0

    acts = <floating **>malloc((net.n_weights + 1) * sizeof(floating *))
    deltas = <floating **>malloc((net.n_weights + 1) * sizeof(floating *))
    if acts == NULL or deltas == NULL:
        free(acts)
        free(deltas)
        raise MemoryError()
    try:
        watch.next_check = _now() + _SIGNAL_INTERVAL
        with nogil:
            _layout(&net, &workspace[0], batch_size, use_idx and not sparse, True,
                    acts, deltas, &ybuf, &swbuf)
            start = 0
            while start < n:
                nrows = min(batch_size, n - start)
                sw_sum = 0.0
                data_loss = _loss_grad_chunk(&net, &inp, &Y[0, 0], &sample_weight[0],
                                             rows, start, nrows, &params[0], &grad[0],
                                             False, acts, deltas, ybuf, swbuf, &sw_sum)
                if solver == 0:
                    sq = _sgd_step(&net, &params[0], &grad[0], &state1[0], n_params,
                                   alpha, sw_sum, learning_rate, momentum, nesterov)
                else:
                    t += 1
                    lr_t = learning_rate * sqrt(1.0 - pow(beta_2, <double>t)) / \
                        (1.0 - pow(beta_1, <double>t))
                    sq = _adam_step(&net, &params[0], &grad[0], &state1[0], &state2[0],
                                    n_params, alpha, sw_sum, lr_t, beta_1, beta_2, epsilon)
                # The loss of the batch is that of the parameters before the step.
                batch_loss = data_loss / sw_sum + 0.5 * alpha * sq / sw_sum
                if not isfinite(batch_loss):
                    # The estimator discards this call's parameters on this status.
                    status = _STATUS_NONFINITE
                    break
                accumulated += batch_loss * nrows
                n_batches += 1
                start += nrows
                if _signalled(&watch):
                    interrupted = True
                    break
    finally:
        free(acts)
        free(deltas)
    if interrupted:
        _raise_pending()
    return accumulated, t, status, n_batches


def loss_grad(
    const floating[:, ::1] X_dense, const floating[::1] X_data,
    const Py_ssize_t[::1] X_indices, const Py_ssize_t[::1] X_indptr, bint sparse,
    const floating[:, ::1] Y, const floating[::1] sample_weight,
    const Py_ssize_t[::1] units, const Py_ssize_t[::1] coef_off,
    const Py_ssize_t[::1] icpt_off, int hidden_act, int out_act, int loss,
    double alpha, const floating[::1] params, floating[::1] grad,
    floating[::1] workspace, Py_ssize_t chunk,
):
    """Full-batch objective and gradient (for L-BFGS and gradient checks),
    computed over row chunks of at most `chunk` rows so the workspace does not
    grow with the number of samples.  Returns the objective; `grad` receives
    its gradient."""
    cdef Net net
    cdef Input inp
    cdef Py_ssize_t n = Y.shape[0], n_params = params.shape[0], start, nrows
    cdef double data_loss = 0.0, sw_sum = 0.0, value
    cdef SignalWatch watch
    cdef bint interrupted = False
    cdef floating **acts
    cdef floating **deltas
    cdef floating *ybuf = NULL
    cdef floating *swbuf = NULL

    _make_net(&net, units, coef_off, icpt_off, hidden_act, out_act, loss)
    _check_params(&net, params.shape[0])
    _make_input(&inp, X_dense, X_data, X_indices, X_indptr, sparse, n, units[0])
    if n == 0:
        raise ValueError("loss_grad needs at least one sample")
    if sample_weight.shape[0] != n or Y.shape[1] != units[units.shape[0] - 1]:
        raise ValueError("Y or sample_weight do not match X")
    chunk = max(1, min(chunk, n))
    if workspace.shape[0] < _workspace_size(&net, chunk, False, True):
        raise ValueError("workspace too small")
    if grad.shape[0] != n_params:
        raise ValueError("grad and params differ in length")
    acts = <floating **>malloc((net.n_weights + 1) * sizeof(floating *))
    deltas = <floating **>malloc((net.n_weights + 1) * sizeof(floating *))
    if acts == NULL or deltas == NULL:
        free(acts)
        free(deltas)
        raise MemoryError()
    try:
        watch.next_check = _now() + _SIGNAL_INTERVAL
        with nogil:
            _layout(&net, &workspace[0], chunk, False, True, acts, deltas,
                    &ybuf, &swbuf)
            start = 0
            while start < n:
                nrows = min(chunk, n - start)
                data_loss += _loss_grad_chunk(&net, &inp, &Y[0, 0], &sample_weight[0],
                                              NULL, start, nrows, &params[0], &grad[0],
                                              start > 0, acts, deltas, ybuf, swbuf,
                                              &sw_sum)
                start += nrows
                if _signalled(&watch):
                    interrupted = True
                    break
            value = _finish_objective(&net, &params[0], &grad[0], data_loss, sw_sum,
                                      alpha, n_params)
    finally:
        free(acts)
        free(deltas)
    if interrupted:
        _raise_pending()
    return value


def predict(
    const floating[:, ::1] X_dense, const floating[::1] X_data,
    const Py_ssize_t[::1] X_indices, const Py_ssize_t[::1] X_indptr, bint sparse,
    const Py_ssize_t[::1] units, const Py_ssize_t[::1] coef_off,
    const Py_ssize_t[::1] icpt_off, int hidden_act, int out_act,
    const floating[::1] params, floating[:, ::1] out, Py_ssize_t chunk,
):
    """Output-layer activations for every row of X, computed over row chunks."""
    cdef Net net
    cdef Input inp
    cdef Py_ssize_t n = out.shape[0], start, nrows
    cdef floating **acts
    cdef floating *ws
    cdef SignalWatch watch
    cdef bint interrupted = False

    _make_net(&net, units, coef_off, icpt_off, hidden_act, out_act, 0)
    _check_params(&net, params.shape[0])
    _make_input(&inp, X_dense, X_data, X_indices, X_indptr, sparse, n, units[0])
    if out.shape[1] != units[units.shape[0] - 1]:
        raise ValueError("out has the wrong number of columns")
    if n == 0:
        return
    chunk = max(1, min(chunk, n))
    # Hidden activations only: the output layer is written straight into `out`.
    ws = <floating *>malloc(max(1, _workspace_size(&net, chunk, False, False))
                            * sizeof(floating))
    acts = <floating **>malloc((net.n_weights + 1) * sizeof(floating *))
    if acts == NULL or ws == NULL:
        free(acts)
        free(ws)
        raise MemoryError()
    try:
        watch.next_check = _now() + _SIGNAL_INTERVAL
        with nogil:
            _layout(&net, ws, chunk, False, False, acts, NULL, NULL, NULL)
            start = 0
            while start < n:
                nrows = min(chunk, n - start)
                _forward(&net, &inp, NULL, start, nrows, &params[0], acts,
                         &out[start, 0])
                start += nrows
                if _signalled(&watch):
                    interrupted = True
                    break
    finally:
        free(acts)
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
        _bias_act(&z[0, 0], &b[0], z.shape[0], z.shape[1], act)


def activation_derivative(const floating[:, ::1] a, floating[:, ::1] delta, int act):
    """In place: delta *= f'(z) given the activation output a = f(z)."""
    if a.shape[0] != delta.shape[0] or a.shape[1] != delta.shape[1]:
        raise ValueError("a and delta must have the same shape")
    if a.shape[0] * a.shape[1] == 0:
        return
    with nogil:
        _act_deriv(&a[0, 0], &delta[0, 0], a.shape[0] * a.shape[1], act)


def loss_delta(const floating[:, ::1] p, const floating[:, ::1] y,
               const floating[::1] sw, floating[:, ::1] delta, int loss):
    """delta = (p - y) * sw[:, None]; returns sum_r sw[r] * loss(y[r], p[r])."""
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
                                    p.shape[0], p.shape[1], loss)
        else:
            total = fm_loss_delta_d(&p[0, 0], &y[0, 0], &sw[0], &delta[0, 0],
                                    p.shape[0], p.shape[1], loss)
    return total
