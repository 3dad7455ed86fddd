# cython: language_level=3
"""The compiled engine's entry points: one epoch of mini-batches, the full-batch
objective (L-BFGS, gradient checks), the validation pass of early stopping and
prediction, each on a team of threads, without the GIL.

They take objects, not field lists:
  * Network   the network's description (_net.NetSpec: layers, activations,
              loss, penalty, dropout, which products run on the own kernels)
              and its flat parameters
  * Dataset   the rows: X (dense or CSR), targets and sample weights
  * Solver    a stochastic solver (_optim.Solver): settings, step count,
              learning rate and per-parameter buffers
and a handful of per-call values (the epoch's row order, the batch size, the
dropout seed, the number of threads).

Layering:
  * csrc/team.h              the thread team and its barriers
  * _net                     a block of rows through the network (forward,
                             backward), a block of the weight gradient
  * _optim                   the penalty, a solver's step on a range of the
                             flat parameter buffer
  * Call                     the per-call setup here: the team, the workspace of
                             every thread, the signal watch (Ctrl-C), one entry
                             that dispatches every job by dtype, and teardown
  * workers here             _epoch_worker / _objective_worker /
                             _predict_worker: the loops run by every thread of
                             a team (a team of one is the plain sequential loop)
  * def functions here       Dataset, Network, the entry points, and
                             Python-callable twins of the elementwise kernels
                             for tests

The codes of activations, losses, solvers and score rules are in _codes
(csrc/codes.h).
"""

from cython cimport floating
from libc.math cimport isfinite
from libc.stdint cimport uint64_t
from libc.stdlib cimport malloc, calloc, free
from libc.string cimport memcpy
from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_C_CONTIGUOUS
from cpython.exc cimport PyErr_SetNone

import threading

import numpy as np
import scipy.sparse as sp

from ._codes cimport FM_N_SCORE_RULES, FM_SCORE_RESIDUALS
from ._gemm cimport FM_ROW_TILE
from ._elementwise cimport (
    fm_rng_skip, _bias_act, _act_deriv, _loss_delta, _add_vec, _all_finite,
)
from ._net cimport (
    Net, NetSpec as _NetSpec, Input, Data, Batch, GradientBlock, Scoring, Buffers,
    _workspace_size, _pack_elems, _alloc_buffers, _carve_workspace, _dropout_width,
    _forward,
    _forward_backward, _weight_gradient, _gradient_chunk, _score_chunk,
)
from ._optim cimport (
    Solver, SolverState, _penalty_parts, _penalty_from_parts, _penalty,
    _scale_gradient, _count_step, _step_range,
)

from ._net import NetSpec

cdef extern from "Python.h":
    # Declared without an exception value: a raised handler's exception stays
    # pending until the loop has been left, then _raise_pending() propagates it.
    int _check_signals "PyErr_CheckSignals"()

cdef extern from "team.h" nogil:
    ctypedef struct fm_team_t:
        int size
    ctypedef void (*fm_team_fn)(void *arg, fm_team_t *team, int rank) noexcept nogil
    void fm_team_barrier(fm_team_t *team, int *sense)
    int fm_team_run(int n, fm_team_fn fn, void *arg)
    Py_ssize_t fm_next_item(Py_ssize_t *counter)
    void fm_prefetch_rows(const char *base, const Py_ssize_t *rows, Py_ssize_t n,
                          Py_ssize_t row_bytes)
    double fm_monotonic_seconds()


# Status codes returned by the epoch loop.
cdef enum:
    _STATUS_OK = 0
    _STATUS_NONFINITE = 1
STATUS_OK = _STATUS_OK
STATUS_NONFINITE = _STATUS_NONFINITE

# Long loops without the GIL look for signals (Ctrl-C) this often, in seconds.
cdef double _SIGNAL_INTERVAL = 0.05



cdef inline double _now() noexcept nogil:
    return fm_monotonic_seconds()


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
        if not failed and _cancelled:
            failed = _cancel_pending()
    return failed != 0


# Python threads whose engine calls must stop as if Ctrl-C had been pressed
# (thread idents, see cancel): signal handlers run in the main thread only, so
# a fit running in another thread learns of Ctrl-C this way.
cdef set _cancelled = set()


cdef int _cancel_pending() noexcept:
    # The calling thread is thread 0 of its team: the Python thread of the call.
    if threading.get_ident() in _cancelled:
        PyErr_SetNone(KeyboardInterrupt)
        return -1
    return 0


def cancel(ident, bint cancelled=True):
    """Stop (or no longer stop) the engine calls of the Python thread `ident`
    (threading.get_ident()): its running and later calls raise
    KeyboardInterrupt within ~50 ms, as on Ctrl-C, until cancel(ident, False)."""
    if cancelled:
        _cancelled.add(ident)
    else:
        _cancelled.discard(ident)


cdef int _raise_pending() except -1:
    # Returning the error value makes Cython propagate the pending exception.
    return -1


cdef inline Py_ssize_t _split(Py_ssize_t n, int parts, int k) noexcept nogil:
    """Start of block k when 0..n is cut into `parts` nearly equal blocks."""
    return (n * k) // parts


# ----------------------------------------------------------------------
# The objects an entry point takes
# ----------------------------------------------------------------------
cdef const void *_address(object arr) except? NULL:
    """The first element of a C-contiguous array (kept alive by the caller), or
    NULL when it has none."""
    cdef Py_buffer view
    cdef const void *first
    if arr.size == 0:
        return NULL
    PyObject_GetBuffer(arr, &view, PyBUF_C_CONTIGUOUS)
    first = view.buf
    PyBuffer_Release(&view)
    return first


cdef class Dataset:
    """Rows as the engine reads them: X, and for training and scoring the
    targets and sample weights, all in one dtype.

    Parameters
    ----------
    X : ndarray of shape (n, n_features) or sparse matrix
        Copied only where the engine needs it: to `dtype`, C-contiguous (dense)
        or canonical CSR with intp indices (sparse).
    dtype : float32 or float64
    Y : ndarray of shape (n, n_outputs), default=None
        Targets (training, scoring), converted like X.
    sample_weight : ndarray of shape (n,), default=None
        Weights (training, scoring); ones when Y is given without them.
    """

    cdef Data data
    cdef readonly object dtype
    cdef readonly bint sparse
    cdef readonly object X, Y, sample_weight
    cdef object _indices, _indptr

    def __init__(self, X, dtype, Y=None, sample_weight=None):
        cdef const Py_ssize_t[::1] ind
        cdef const Py_ssize_t[::1] ptr
        dtype = np.dtype(dtype)
        if dtype.char not in "fd":
            raise TypeError(f"the engine reads float32 or float64 data, not {dtype}")
        self.dtype = dtype
        self.sparse = not isinstance(X, np.ndarray) and sp.issparse(X)
        self.data.X.dense = NULL
        self.data.X.data = NULL
        self.data.X.indices = NULL
        self.data.X.indptr = NULL
        if self.sparse:
            X = sp.csr_matrix(X, dtype=dtype)
            if not X.has_canonical_format:
                X = X.copy()
                X.sum_duplicates()
            values = np.ascontiguousarray(X.data, dtype=dtype)
            self._indices = np.ascontiguousarray(X.indices, dtype=np.intp)
            self._indptr = np.ascontiguousarray(X.indptr, dtype=np.intp)
            ptr = self._indptr
            self.data.X.indptr = &ptr[0]
            if values.shape[0] > 0:
                ind = self._indices
                self.data.X.data = _address(values)
                self.data.X.indices = &ind[0]
            else:
                # An all-zero CSR matrix: any non-NULL data pointer marks it sparse.
                self.data.X.data = <const void *>&ptr[0]
            self.X = (values, self._indices, self._indptr)
        else:
            X = np.ascontiguousarray(X, dtype=dtype)
            if X.ndim != 2:
                raise ValueError(f"X must be 2-D, got {X.ndim}-D")
            self.data.X.dense = _address(X)
            self.X = X
        self.data.n = X.shape[0]
        self.data.X.n_features = X.shape[1]
        self.data.Y = NULL
        self.data.SW = NULL
        self.Y = self.sample_weight = None
        if Y is not None:
            Y = np.ascontiguousarray(Y, dtype=dtype)
            if Y.ndim != 2 or Y.shape[0] != self.data.n:
                raise ValueError("Y must be 2-D with one row per row of X")
            if sample_weight is None:
                sample_weight = np.ones(self.data.n, dtype=dtype)
            sample_weight = np.ascontiguousarray(sample_weight, dtype=dtype)
            if sample_weight.shape != (self.data.n,):
                raise ValueError("sample_weight must have one entry per row of X")
            self.Y, self.sample_weight = Y, sample_weight
            self.data.Y = _address(Y)
            self.data.SW = _address(sample_weight)

    @property
    def n_rows(self):
        return self.data.n

    @property
    def n_features(self):
        return self.data.X.n_features

    @property
    def values(self):
        """X's stored values: what a finiteness check reads."""
        return self.X[0] if self.sparse else self.X

    @property
    def n_stored(self):
        """Values X stores (n * n_features when dense)."""
        return self.values.size


cdef class Network:
    """A network: its description `spec` (NetSpec) and its flat parameters
    (n_params,), float32 or float64, in the layout of the spec."""

    cdef readonly _NetSpec spec
    cdef readonly object params
    cdef const void *p
    cdef bint single

    def __init__(self, _NetSpec spec not None, params):
        if not isinstance(params, np.ndarray) or params.ndim != 1 or \
                params.dtype.char not in "fd" or not params.flags.c_contiguous:
            raise TypeError("params must be a contiguous 1-D float32 or float64 array")
        if params.shape[0] != spec.n_params:
            raise ValueError("the parameter buffer does not match the network layout")
        self.spec = spec
        self.params = params
        self.single = params.dtype.char == "f"
        self.p = _address(params)

    @property
    def dtype(self):
        return self.params.dtype


def network(_NetSpec spec not None, params):
    """Network(spec, params), reusing the one built last for `spec` when it has
    these very parameters (a prediction of a few rows costs microseconds)."""
    cdef Network last = spec.last_network
    if last is not None and last.params is params:
        return last
    last = Network(spec, params)
    spec.last_network = last
    return last


cdef int _check_data(Network network, Dataset data, bint targets) except -1:
    cdef const Net *net = &network.spec.net
    if data.dtype != network.params.dtype:
        raise TypeError(f"the data are {data.dtype}, the network {network.params.dtype}")
    if data.data.X.n_features != net.units[0]:
        raise ValueError(f"X has {data.data.X.n_features} features, the network "
                         f"{net.units[0]} inputs")
    if targets and (data.data.Y == NULL and data.data.n > 0 or
                    data.Y is not None and data.Y.shape[1] != net.units[net.n_weights]):
        raise ValueError("Y or sample_weight do not match the network")
    return 0


cdef int _check_team(int n_threads) except -1:
    if n_threads < 1:
        raise ValueError("n_threads must be >= 1")
    return 0


# ----------------------------------------------------------------------
# One call: the team, its workspace, the signal watch
# ----------------------------------------------------------------------
cdef enum Job:
    _EPOCH = 0
    _OBJECTIVE = 1
    _PREDICT = 2


cdef struct Workspace:
    # What every thread's buffers are carved for (see _net._carve_workspace).
    Py_ssize_t rows      # rows per block
    bint gather          # room for rows of X gathered through an index
    bint backward        # deltas, gathered targets and weights
    bint dropout         # dropout masks and dropped activations
    bint shared          # one workspace for the whole team (threads work on
                         # disjoint rows of it), each thread with a pack of its own


cdef struct Call:
    int job                # what the team runs (Job)
    bint single            # float32 data
    void *work             # the job's own struct (EpochJob, ObjectiveJob, PredictJob)
    int n_threads
    Buffers *bufs          # one per thread
    void *workspace        # one block of ws_stride elements per thread, or one
                           # shared block and the packs of threads 1.. after it
    Py_ssize_t ws_stride
    int stop               # set by any thread: leave the loop
    int interrupted        # thread 0 saw a raising signal handler
    SignalWatch watch


cdef int _call_open(Call *c, const Net *net, int job, bint single, int n_threads,
                    const Workspace *ws) except -1:
    """Set up a call of `n_threads` threads: each thread's Buffers carved for
    ws.rows rows, from a block of its own or (ws.shared) from one block, the own
    kernels' pack (Buffers.pack) always a thread's own.  On failure everything
    allocated so far is freed (_call_close)."""
    cdef Py_ssize_t k, item = sizeof(float) if single else sizeof(double)
    cdef Py_ssize_t pack = _pack_elems(net, ws.backward)
    cdef Py_ssize_t L = net.n_weights
    cdef int n_blocks = 1 if ws.shared else n_threads
    if _cancelled and threading.get_ident() in _cancelled:
        raise KeyboardInterrupt
    c.job = job
    c.single = single
    c.n_threads = n_threads
    c.stop = 0
    c.interrupted = 0
    c.ws_stride = max(1, _workspace_size(net, ws.rows, ws.gather, ws.backward,
                                         ws.dropout))
    c.bufs = <Buffers *>calloc(n_threads, sizeof(Buffers))
    c.workspace = malloc((n_blocks * c.ws_stride + (n_threads - n_blocks) * pack) * item)
    if c.bufs == NULL or c.workspace == NULL:
        _call_close(c)
        raise MemoryError()
    for k in range(n_threads):
        try:
            _alloc_buffers(&c.bufs[k], L)
        except MemoryError:
            _call_close(c)
            raise
        if k > 0 and ws.shared:
            # The shared block's pointers (acts, zs, masks, dropped, deltas are
            # one array of 5 (L + 1)), a pack after the shared block.
            memcpy(c.bufs[k].acts, c.bufs[0].acts, 5 * (L + 1) * sizeof(void *))
            c.bufs[k].ybuf = c.bufs[0].ybuf
            c.bufs[k].swbuf = c.bufs[0].swbuf
            c.bufs[k].pack = (<char *>c.workspace) + (c.ws_stride + (k - 1) * pack) * item
        elif single:
            _carve_workspace(net, (<float *>c.workspace) + k * c.ws_stride, ws.rows,
                             ws.gather, ws.backward, ws.dropout, &c.bufs[k])
        else:
            _carve_workspace(net, (<double *>c.workspace) + k * c.ws_stride, ws.rows,
                             ws.gather, ws.backward, ws.dropout, &c.bufs[k])
    c.watch.next_check = _now() + _SIGNAL_INTERVAL
    return 0


cdef void _call_close(Call *c) noexcept:
    cdef int k
    if c.bufs != NULL:
        for k in range(c.n_threads):
            free(c.bufs[k].acts)
    free(c.bufs)
    free(c.workspace)
    c.bufs = NULL
    c.workspace = NULL


cdef int _call_run(Call *c) except -1:
    """Run the call's job on its team without the GIL; a signal handler that
    raised meanwhile (Ctrl-C) has its exception propagated."""
    with nogil:
        fm_team_run(c.n_threads, _team_entry, c)
    if c.interrupted:
        _raise_pending()
    return 0


cdef inline bint _watch(Call *c, int rank) noexcept nogil:
    """Thread 0 looks for signals; True once the call must stop."""
    if rank == 0 and _signalled(&c.watch):
        c.interrupted = 1
        c.stop = 1
    return c.stop != 0


cdef void _team_entry(void *arg, fm_team_t *team, int rank) noexcept nogil:
    """Every thread of a call starts here: its job, for the call's dtype."""
    cdef Call *c = <Call *>arg
    if c.job == _EPOCH:
        if c.single:
            _epoch_worker(c, team, rank, <float *>NULL)
        else:
            _epoch_worker(c, team, rank, <double *>NULL)
    elif c.job == _OBJECTIVE:
        if c.single:
            _objective_worker(c, rank, <float *>NULL)
        else:
            _objective_worker(c, rank, <double *>NULL)
    elif c.single:
        _predict_worker(c, rank, <float *>NULL)
    else:
        _predict_worker(c, rank, <double *>NULL)


# ----------------------------------------------------------------------
# One epoch on a team of threads
# ----------------------------------------------------------------------
# The gradient of a batch is cut into blocks: for every layer, blocks of rows of
# its coefficient matrix (their gradient product and optimizer step); a layer's
# last block also takes its intercepts (their gradient, the column sums of the
# delta, comes from the same pass over the delta).  The cut depends on the
# network and the batch size only, never on the team, and every block's penalty
# part has its own slot summed in block order, so which thread takes which
# block changes no result.
cdef enum:
    _BLOCK_WORK = 1 << 18    # at least this many multiply-adds per coefficient block
    _MAX_BLOCKS = 8          # and at most this many blocks per layer: every block's
                             # product streams the layer's whole delta again


cdef inline Py_ssize_t _layer_blocks(const Net *net, Py_ssize_t i,
                                     Py_ssize_t batch_size) noexcept nogil:
    cdef Py_ssize_t fan_in = net.units[i]
    cdef Py_ssize_t per_row = max(1, net.units[i + 1] * batch_size)
    return max(1, min(fan_in, _MAX_BLOCKS, (fan_in * per_row) // _BLOCK_WORK))


cdef inline Py_ssize_t _block_start(Py_ssize_t fan_in, Py_ssize_t nb,
                                    Py_ssize_t k) noexcept nogil:
    """First coefficient row of block k of nb: whole register tiles, the last
    block taking the rest."""
    cdef Py_ssize_t start
    if k >= nb:
        return fan_in
    start = _split(fan_in, <int>nb, <int>k)
    return start - start % FM_ROW_TILE


cdef Py_ssize_t _n_blocks(const Net *net, Py_ssize_t batch_size) noexcept nogil:
    cdef Py_ssize_t i, n = 0
    for i in range(net.n_weights):
        n += _layer_blocks(net, i, batch_size)
    return n


cdef GradientBlock _gradient_block(const Net *net, Py_ssize_t batch_size,
                                   Py_ssize_t k) noexcept nogil:
    """Block k of the cut of a batch's gradient (see above)."""
    cdef GradientBlock block
    cdef Py_ssize_t i = 0, nb
    while True:
        nb = _layer_blocks(net, i, batch_size)
        if k < nb:
            break
        k -= nb
        i += 1
    block.layer = i
    block.c0 = _block_start(net.units[i], nb, k)
    block.c1 = _block_start(net.units[i], nb, k + 1)
    block.intercepts = k == nb - 1
    return block


cdef struct EpochJob:
    # Read-only for the team
    const Net *net
    const Data *data
    const Py_ssize_t *order  # the epoch's rows in order, or NULL: rows 0..n-1
    Py_ssize_t n             # rows of the epoch
    Py_ssize_t batch_size
    Py_ssize_t n_blocks      # gradient blocks of a batch
    SolverState solver       # the settings and step count the epoch starts from
    uint64_t seed            # dropout stream
    void *params             # (n_params,)
    void *grad               # (n_params,): the batch's unscaled gradient
    # Written by the team, each field as documented in _epoch_worker
    double *row_loss         # (batch_size,): sw_r loss_r of the batch's rows
    double *block_penalty    # per gradient block: sum w^2 and sum |w| of its block
    Py_ssize_t next_block[2]
    double loss_sum
    int status
    int alone                # the team goes on as thread 0 alone (_end_batch)
    long long t


cdef void _gradient_step(const EpochJob *job, const Batch *batch, const Buffers *buf,
                         const SolverState *solver, double sw_sum, Py_ssize_t k,
                         floating *params, floating *grad,
                         double *penalty) noexcept nogil:
    """Gradient block k of a batch and the solver's step on exactly those
    parameters (params and grad: (n_params,)); the penalty parts of the block's
    new coefficients (the next batch's penalty) go to penalty[0] (sum w^2) and
    penalty[1] (sum |w|).  With solver == NULL, only the penalty parts of its
    current coefficients."""
    cdef const Net *net = job.net
    cdef GradientBlock block = _gradient_block(net, job.batch_size, k)
    cdef Py_ssize_t fan_out = net.units[block.layer + 1]
    cdef Py_ssize_t lo = net.coef_off[block.layer] + block.c0 * fan_out
    cdef Py_ssize_t hi = net.coef_off[block.layer] + block.c1 * fan_out
    cdef Py_ssize_t icpt = net.icpt_off[block.layer]
    penalty[0] = 0.0
    penalty[1] = 0.0
    if solver != NULL:
        _weight_gradient(net, job.data, batch, buf, &block, grad, False)
        _step_range(solver, net, params, grad, lo, hi, True, sw_sum)
        if block.intercepts:
            _step_range(solver, net, params, grad, icpt, icpt + fan_out, False, sw_sum)
    if net.alpha != 0:
        _penalty_parts(net, params + lo, hi - lo, &penalty[0], &penalty[1])


cdef int _crowded = 0     # set from Python: another fit or prediction is running


def set_crowded(bint crowded):
    """Tell running teams whether another fit or prediction runs in this
    process: a team then finishes its epoch on one thread (see _end_batch)."""
    global _crowded
    _crowded = crowded


cdef inline int _end_batch(EpochJob *job, fm_team_t *team, int rank, int size,
                           int *sense) noexcept nogil:
    """The barrier that ends a batch; returns the team size for the next batch.
    Once another fit or prediction runs in the process, thread 0 says so before
    the barrier and the team goes on as thread 0 alone (threads > 0 leave the
    loop): a team that shares its CPUs with other work waits at every barrier
    for a thread that is not running.  The model is the same at any team size."""
    if size == 1:
        return 1
    if rank == 0 and _crowded:
        job.alone = 1
    fm_team_barrier(team, sense)
    return 1 if job.alone else size


cdef void _epoch_worker(Call *c, fm_team_t *team, int rank,
                        const floating *like) noexcept nogil:
    """One epoch of mini-batches, run by every thread of the team (`like` only
    picks the dtype).

    Per batch, two phases separated by barriers:
      forward and backward  thread k forwards and back-propagates its block of
               the batch's rows (_forward_backward), writing each row's loss to
               job.row_loss;
      gradient and step  after a barrier, every thread sums the rows' losses
               and sample weights in row order (the sums of a single thread,
               bit for bit, whatever the team size; every thread takes the
               same decisions),
               then takes gradient blocks (_gradient_step) until none is left:
               each computes a block of the gradient and steps exactly those
               parameters, writing the penalty of the new coefficients to the
               block's slot of job.block_penalty; a barrier ends the batch.
    Only thread 0 looks for signals (before the first barrier, so every thread
    sees c.stop after it), resets the block counter of the next batch (two
    alternate, so nobody is still using it), and writes job.status,
    job.loss_sum and job.t.  With a team of one thread the barriers do
    nothing and the arithmetic is that of a plain sequential pass."""
    cdef EpochJob *job = <EpochJob *>c.work
    cdef const Net *net = job.net
    cdef const Data *data = job.data
    cdef Buffers *buf = &c.bufs[rank]
    cdef floating *params = <floating *>job.params
    cdef floating *grad = <floating *>job.grad
    cdef int size = team.size, sense = 0
    cdef SolverState solver = job.solver
    cdef Batch batch
    cdef Py_ssize_t k, block, n_batches = 0, next_rows, r0
    cdef Py_ssize_t drop_width = _dropout_width(net)
    cdef double *block_penalty = job.block_penalty
    cdef const floating *SW = <const floating *>data.SW
    cdef double sw_sum, data_loss, penalty, batch_loss, sum_sq, sum_abs, sw_own
    cdef bint gather = job.order != NULL and data.X.data == NULL

    batch.rows = job.order
    batch.start = 0
    batch.rng = job.seed
    if rank == 0:
        for k in range(job.n_blocks):
            _gradient_step(job, &batch, buf, NULL, 0.0, k, params, grad, &block_penalty[2 * k])
        job.next_block[0] = 0
        job.next_block[1] = 0
    if size > 1:
        fm_team_barrier(team, &sense)
    while batch.start < job.n:
        batch.n = min(job.batch_size, job.n - batch.start)
        # The penalty of the parameters this batch starts from; the slots were
        # written before the last barrier and are rewritten after the next.
        penalty = 0.0
        if net.alpha != 0:
            sum_sq = 0.0
            sum_abs = 0.0
            for k in range(job.n_blocks):
                sum_sq += block_penalty[2 * k]
                sum_abs += block_penalty[2 * k + 1]
            penalty = _penalty_from_parts(net, sum_sq, sum_abs)
        if rank == 0:
            job.next_block[(n_batches + 1) % 2] = 0

        sw_own = 0.0
        _forward_backward(net, data, &batch, _split(batch.n, size, rank),
                          _split(batch.n, size, rank + 1), params, buf, &sw_own,
                          job.row_loss)
        _watch(c, rank)
        if size > 1:
            fm_team_barrier(team, &sense)
        if c.stop:
            break
        data_loss = 0.0
        sw_sum = 0.0
        for k in range(batch.n):
            data_loss += job.row_loss[k]
            sw_sum += SW[k + batch.start if batch.rows == NULL
                         else batch.rows[batch.start + k]]
        if sw_sum == 0:
            # Only zero-weight samples: nothing to learn from this batch.
            batch.rng = fm_rng_skip(batch.rng, batch.n * drop_width)
            batch.start += batch.n
            n_batches += 1
            size = _end_batch(job, team, rank, size, &sense)
            if size == 1 and rank > 0:
                break
            continue
        # The batch's loss is that of the parameters before the step.
        batch_loss = (data_loss + penalty) / sw_sum
        if not isfinite(batch_loss):
            # The estimator discards this call's parameters on this status.
            if rank == 0:
                job.status = _STATUS_NONFINITE
            break
        if rank == 0:
            job.loss_sum += batch_loss * batch.n
        if gather and batch.start + batch.n < job.n:
            # This thread's rows of the next batch, fetched while it multiplies.
            next_rows = min(job.batch_size, job.n - batch.start - batch.n)
            r0 = _split(next_rows, size, rank)
            fm_prefetch_rows(<const char *>data.X.dense,
                             job.order + batch.start + batch.n + r0,
                             _split(next_rows, size, rank + 1) - r0,
                             net.units[0] * sizeof(floating))
        _count_step(&solver)
        while True:
            block = fm_next_item(&job.next_block[n_batches % 2])
            if block >= job.n_blocks:
                break
            _gradient_step(job, &batch, buf, &solver, sw_sum, block, params, grad,
                           &block_penalty[2 * block])
        batch.rng = fm_rng_skip(batch.rng, batch.n * drop_width)
        batch.start += batch.n
        n_batches += 1
        size = _end_batch(job, team, rank, size, &sense)
        if size == 1 and rank > 0:
            break
    if rank == 0:
        job.t = solver.t


def train_epoch(Network network not None, Solver solver not None,
                Dataset data not None, order, Py_ssize_t batch_size,
                unsigned long long seed, int n_threads=1):
    """One epoch of mini-batch training of `network`'s parameters (in place) by
    `solver` (its buffers and step count in place) on `data`.

    Batches are consecutive slices of `order` (the epoch's rows of data, as an
    intp array; None: the rows in their order), the last one short.  Each batch
    does forward (with dropout masks drawn from a stream seeded by `seed`),
    loss, backward, penalty and one step of the solver.  With `n_threads` > 1 a
    team of threads shares every batch (see _epoch_worker); each thread calls
    BLAS for its own blocks, so the caller should keep BLAS single-threaded
    meanwhile.

    Returns (sum over batches of batch_loss * batch_rows, status).  On a
    non-finite batch loss the loop stops with status STATUS_NONFINITE.  A
    signal handler that raises (Ctrl-C) ends the loop within ~50 ms and its
    exception propagates (the parameters are then those of a partial epoch).
    """
    cdef const Net *net = &network.spec.net
    cdef EpochJob job
    cdef Call c
    cdef Workspace ws
    cdef const Py_ssize_t[::1] rows
    cdef Py_ssize_t j, n_data = data.data.n
    cdef Py_ssize_t item = sizeof(float) if network.single else sizeof(double)

    _check_data(network, data, True)
    _check_team(n_threads)
    if not network.params.flags.writeable:
        raise ValueError("the network's parameters are read-only")
    if solver.dtype != network.params.dtype or \
            solver.n_params != network.params.shape[0]:
        raise ValueError("the solver's buffers do not match the network's parameters")
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    job.order = NULL
    job.n = n_data
    if order is not None:
        rows = order
        job.n = rows.shape[0]
        for j in range(job.n):
            if rows[j] < 0 or rows[j] >= n_data:
                raise ValueError("order holds a row index outside the data")
        if job.n > 0:
            job.order = &rows[0]
    if job.n == 0:
        return 0.0, _STATUS_OK
    job.net = net
    job.data = &data.data
    job.batch_size = max(1, min(batch_size, job.n))
    job.n_blocks = _n_blocks(net, job.batch_size)
    job.solver = solver.state
    job.seed = seed
    job.params = <void *>network.p
    job.next_block[0] = job.next_block[1] = 0
    job.loss_sum = 0.0
    job.status = _STATUS_OK
    job.alone = 0
    job.t = solver.state.t
    job.grad = malloc(network.params.shape[0] * item)
    job.row_loss = <double *>malloc(job.batch_size * sizeof(double))
    job.block_penalty = <double *>calloc(2 * job.n_blocks, sizeof(double))
    c.bufs = NULL
    c.workspace = NULL
    try:
        if job.grad == NULL or job.row_loss == NULL or job.block_penalty == NULL:
            raise MemoryError()
        # One workspace, shared: threads work on disjoint rows of the batch.
        ws.rows = job.batch_size
        ws.gather = job.order != NULL and not data.sparse
        ws.backward = ws.dropout = ws.shared = True
        _call_open(&c, net, _EPOCH, network.single, n_threads, &ws)
        c.work = &job
        _call_run(&c)
    finally:
        _call_close(&c)
        free(job.grad)
        free(job.row_loss)
        free(job.block_penalty)
    solver.state.t = job.t
    return job.loss_sum, job.status


# ----------------------------------------------------------------------
# Prediction on a team of threads
# ----------------------------------------------------------------------
cdef struct PredictJob:
    const Net *net
    const Data *data
    Py_ssize_t chunk
    bint check_finite
    const void *params     # (n_params,)
    void *out              # (n, units[L])
    Py_ssize_t next_chunk  # the next chunk to forward (fm_next_item)
    int nonfinite          # a chunk held NaN or infinity


cdef bint _rows_finite(const Input *X, Py_ssize_t start, Py_ssize_t nrows,
                       const floating *like) noexcept nogil:
    """Whether rows start..start+nrows of X hold only finite values."""
    cdef Py_ssize_t lo, hi
    if X.data != NULL:
        lo = X.indptr[start]
        hi = X.indptr[start + nrows]
        if X.indices == NULL or hi <= lo:
            return True
        return _all_finite((<const floating *>X.data) + lo, hi - lo)
    return _all_finite((<const floating *>X.dense) + start * X.n_features,
                       nrows * X.n_features)


cdef void _predict_worker(Call *c, int rank, const floating *like) noexcept nogil:
    """Chunks of rows forwarded into job.out, each taken by whichever thread is
    free (a thread slowed down by other load takes fewer); thread 0 looks for
    signals.  A chunk with a non-finite input value stops every thread
    (job.nonfinite) before it is forwarded."""
    cdef PredictJob *job = <PredictJob *>c.work
    cdef const Net *net = job.net
    cdef Py_ssize_t n_out = net.units[net.n_weights]
    cdef Batch chunk
    chunk.rows = NULL
    chunk.rng = 0
    while not c.stop:
        chunk.start = fm_next_item(&job.next_chunk) * job.chunk
        if chunk.start >= job.data.n:
            break
        chunk.n = min(job.chunk, job.data.n - chunk.start)
        if job.check_finite and not _rows_finite(&job.data.X, chunk.start, chunk.n,
                                                 like):
            job.nonfinite = 1
            c.stop = 1
            break
        _forward(net, job.data, &chunk, 0, chunk.n, <const floating *>job.params,
                 &c.bufs[rank], (<floating *>job.out) + chunk.start * n_out)
        _watch(c, rank)


def predict(Network network not None, Dataset data not None, out, Py_ssize_t chunk,
            int n_threads=1, bint check_finite=False):
    """Output-layer activations of `network` for every row of `data` into `out`
    ((n, n_outputs), C-contiguous, the network's dtype), computed over row
    chunks of `chunk` rows shared out among `n_threads` threads (each calls
    BLAS itself: keep BLAS single-threaded meanwhile).

    Returns False, with `out` incomplete, when `check_finite` is set and X holds
    a NaN or an infinity (each chunk is checked just before it is forwarded),
    True otherwise."""
    cdef const Net *net = &network.spec.net
    cdef PredictJob job
    cdef Call c
    cdef Workspace ws
    cdef Py_ssize_t n = data.data.n

    _check_data(network, data, False)
    _check_team(n_threads)
    if not isinstance(out, np.ndarray) or out.dtype != network.params.dtype or \
            out.shape != (n, net.units[net.n_weights]) or not out.flags.c_contiguous \
            or not out.flags.writeable:
        raise ValueError("out must be a writable C-contiguous (n_rows, n_outputs) "
                         "array of the network's dtype")
    if n == 0:
        return True
    chunk = max(1, min(chunk, n))
    job.net = net
    job.data = &data.data
    job.chunk = chunk
    job.check_finite = check_finite
    job.params = network.p
    job.out = <void *>_address(out)
    job.next_chunk = 0
    job.nonfinite = 0
    n_threads = <int>min(<Py_ssize_t>n_threads, (n + chunk - 1) // chunk)
    ws.rows = chunk
    ws.gather = ws.backward = ws.dropout = ws.shared = False
    c.bufs = NULL
    c.workspace = NULL
    try:
        _call_open(&c, net, _PREDICT, network.single, n_threads, &ws)
        c.work = &job
        _call_run(&c)
    finally:
        _call_close(&c)
    return not job.nonfinite


# ----------------------------------------------------------------------
# Full-batch objective and gradient (or validation pass) on a team of threads
# ----------------------------------------------------------------------
# The rows are cut into chunks of nearly equal size (no more than the caller's
# chunk, at least _MAX_SLOTS of them when every one still gets _MIN_CHUNK_ROWS
# rows), and chunk c adds its gradient (or score sums), loss and weight sum to
# slot c % n_slots.  One thread takes a slot's chunks in order, and the slots
# are summed in order at the end: the cut depends on the rows, the network and
# the caller's chunk only, so the result does not depend on the number of
# threads, and a validation pass's loss is the objective's data loss.
cdef enum:
    _MAX_SLOTS = 8
    _MIN_CHUNK_ROWS = 256


cdef struct ObjectiveJob:
    const Net *net
    const Data *data
    const void *params     # (n_params,)
    void *grad             # slot 0's gradient (n_params,): the caller's buffer; NULL
                           # in a validation pass, which scores the rows instead
    void *slot_grads       # slots 1..n_slots-1, n_params apart
    Scoring score          # a validation pass: the rule and where rows are marked
    Py_ssize_t n_sums      # score sums per slot
    double *slot_sums      # per slot: n_sums score sums
    int nonfinite          # set by any thread: an output was not finite
    Py_ssize_t n_params
    Py_ssize_t n_chunks
    int n_slots
    double *slot_loss      # sum of sw * loss per slot
    double *slot_sw        # sum of sw per slot
    double loss_sum        # sums of the slots' loss and weight sums
    double sw_sum


cdef void _objective_worker(Call *c, int rank, const floating *like) noexcept nogil:
    """Slots rank, rank + n_threads, ... of the full-batch gradient, or of the
    validation pass's score sums when job.grad is NULL."""
    cdef ObjectiveJob *job = <ObjectiveJob *>c.work
    cdef const Net *net = job.net
    cdef Buffers *buf = &c.bufs[rank]
    cdef const floating *params = <const floating *>job.params
    cdef floating *g = NULL
    cdef Batch chunk
    cdef Scoring score = job.score
    cdef Py_ssize_t k
    cdef int slot = rank
    cdef double loss, sw
    score.finite = True
    chunk.rows = NULL
    chunk.rng = 0
    while slot < job.n_slots and not c.stop:
        if job.grad != NULL:
            g = (<floating *>job.grad) if slot == 0 else \
                (<floating *>job.slot_grads) + (slot - 1) * job.n_params
        score.sums = job.slot_sums + slot * job.n_sums
        loss = 0.0
        sw = 0.0
        k = slot
        while k < job.n_chunks:
            chunk.start = _split(job.data.n, <int>job.n_chunks, <int>k)
            chunk.n = _split(job.data.n, <int>job.n_chunks, <int>k + 1) - chunk.start
            if g == NULL:
                loss += _score_chunk(net, job.data, &chunk, params, buf, &sw, &score)
            else:
                loss += _gradient_chunk(net, job.data, &chunk, params, buf, g,
                                        k != slot, &sw)
            if _watch(c, rank):
                break
            k += job.n_slots
        job.slot_loss[slot] = loss
        job.slot_sw[slot] = sw
        slot += c.n_threads
    if not score.finite:
        job.nonfinite = 1


cdef int _run_objective(ObjectiveJob *job, Network network, Dataset data,
                        Py_ssize_t chunk, int n_threads, double *sums) except -1:
    """The team of a full-batch pass over every row of `data` (see
    ObjectiveJob): writes the unscaled data gradient into job.grad, or, with
    job.grad NULL, the rows' score sums by job.score.rule into sums[0..n_sums)
    and, for the class rules, job.score.correct.  Leaves the weighted loss and
    weight sums in job.loss_sum and job.sw_sum."""
    cdef const Net *net = &network.spec.net
    cdef Py_ssize_t n = data.data.n, k, j
    cdef Py_ssize_t n_params = network.params.shape[0]
    cdef Py_ssize_t item = sizeof(float) if network.single else sizeof(double)
    cdef Call c
    cdef Workspace ws

    _check_data(network, data, True)
    _check_team(n_threads)
    if n == 0:
        raise ValueError("a full-batch pass needs at least one sample")
    chunk = max(1, min(chunk, n))
    job.n_chunks = max((n + chunk - 1) // chunk, min(<Py_ssize_t>_MAX_SLOTS,
                                                      n // _MIN_CHUNK_ROWS))
    job.n_slots = <int>min(job.n_chunks, <Py_ssize_t>_MAX_SLOTS)
    n_threads = min(n_threads, job.n_slots)
    job.net = net
    job.data = &data.data
    job.params = network.p
    job.n_params = n_params
    job.nonfinite = 0
    job.loss_sum = 0.0
    job.sw_sum = 0.0
    job.slot_grads = malloc(max(1, (job.n_slots - 1) * n_params if job.grad != NULL
                                else 0) * item)
    job.slot_sums = <double *>calloc(max(1, job.n_slots * job.n_sums), sizeof(double))
    job.slot_loss = <double *>calloc(2 * job.n_slots, sizeof(double))
    job.slot_sw = job.slot_loss + job.n_slots if job.slot_loss != NULL else NULL
    c.bufs = NULL
    c.workspace = NULL
    try:
        if job.slot_grads == NULL or job.slot_sums == NULL or job.slot_loss == NULL:
            raise MemoryError()
        ws.rows = (n + job.n_chunks - 1) // job.n_chunks
        ws.gather = ws.dropout = ws.shared = False
        ws.backward = True
        _call_open(&c, net, _OBJECTIVE, network.single, n_threads, &ws)
        c.work = job
        _call_run(&c)
        with nogil:
            for k in range(job.n_slots):
                job.loss_sum += job.slot_loss[k]
                job.sw_sum += job.slot_sw[k]
            for k in range(1, job.n_slots if job.grad != NULL else 0):
                if network.single:
                    _add_vec(<float *>job.grad,
                             (<float *>job.slot_grads) + (k - 1) * n_params, n_params)
                else:
                    _add_vec(<double *>job.grad,
                             (<double *>job.slot_grads) + (k - 1) * n_params, n_params)
            for j in range(job.n_sums):
                sums[j] = 0.0
                for k in range(job.n_slots):
                    sums[j] += job.slot_sums[k * job.n_sums + j]
    finally:
        _call_close(&c)
        free(job.slot_loss)
        free(job.slot_sums)
        free(job.slot_grads)
    return 0


def loss_grad(Network network not None, Dataset data not None, grad,
              Py_ssize_t chunk, int n_threads=1):
    """Full-batch objective of `network` on `data` and its gradient (into
    `grad`, (n_params,), the network's dtype), for L-BFGS and gradient checks:
    computed over row chunks of at most `chunk` rows so the workspace does not
    grow with the number of samples.  No dropout.  With `n_threads` > 1 a team
    of threads shares the chunks (each calls BLAS itself: keep BLAS
    single-threaded meanwhile); the result does not depend on `n_threads` (see
    ObjectiveJob).  Returns (objective, data_loss) with data_loss the weighted
    mean loss without the penalty."""
    cdef const Net *net = &network.spec.net
    cdef ObjectiveJob job
    cdef Py_ssize_t n_params = network.params.shape[0]
    cdef double penalty

    if not isinstance(grad, np.ndarray) or grad.dtype != network.params.dtype or \
            grad.shape != (n_params,) or not grad.flags.c_contiguous or \
            not grad.flags.writeable:
        raise ValueError("grad must be a writable contiguous array shaped and typed "
                         "like the parameters")
    job.grad = <void *>_address(grad)
    job.score.rule = 0
    job.score.correct = NULL
    job.n_sums = 0
    _run_objective(&job, network, data, chunk, n_threads, NULL)
    with nogil:
        if network.single:
            penalty = _penalty(net, <const float *>network.p)
            _scale_gradient(net, <const float *>network.p, <float *>job.grad, n_params,
                            job.sw_sum)
        else:
            penalty = _penalty(net, <const double *>network.p)
            _scale_gradient(net, <const double *>network.p, <double *>job.grad,
                            n_params, job.sw_sum)
    return (job.loss_sum + penalty) / job.sw_sum, job.loss_sum / job.sw_sum


def validation_pass(Network network not None, Dataset data not None,
                    Py_ssize_t chunk, int rule, double[::1] sums, correct,
                    int n_threads=1):
    """Data loss and score sums of `network` on `data` (early stopping's
    held-out rows), in one forward pass: the rows cut into chunks and shared
    out as by loss_grad, no gradient, no dropout.

    `rule`, a value of _codes.SCORE_RULES, says what the score needs.
    "residuals": sums[j] = sum_r sw_r (Y[r, j] - out[r, j])^2 for every output
    j.  The class rules ("argmax", "above_half", "above_zero": how the
    classifier's predict decides): correct[r] = 1 where row r's prediction is
    Y[r]'s class (all of its labels), else 0 (correct: (n,), the network's
    dtype), and sums[0] = the weight sum of those rows.  Sums are accumulated in
    double, outputs compared in the network's dtype.

    Returns (data_loss, finite): data_loss is loss_grad's data_loss, bit for
    bit; finite is False when an output is NaN or infinite."""
    cdef ObjectiveJob job
    cdef Py_ssize_t n_out = network.spec.net.units[network.spec.net.n_weights]
    cdef bint class_rule = rule != FM_SCORE_RESIDUALS

    if not 0 <= rule < FM_N_SCORE_RULES:
        raise ValueError("unknown score rule")
    if sums.shape[0] != (1 if class_rule else n_out):
        raise ValueError("sums needs one entry (class rules) or one per output")
    job.score.correct = NULL
    if class_rule:
        if not isinstance(correct, np.ndarray) or \
                correct.dtype != network.params.dtype or \
                correct.shape != (data.data.n,) or not correct.flags.writeable:
            raise ValueError("correct needs one entry per row, in the network's dtype")
        job.score.correct = <void *>_address(correct)
    job.grad = NULL
    job.score.rule = rule
    job.n_sums = sums.shape[0]
    _run_objective(&job, network, data, chunk, n_threads, &sums[0])
    return job.loss_sum / job.sw_sum, not job.nonfinite

# ----------------------------------------------------------------------
# Python-callable twins of the elementwise kernels, for tests
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
        total = _loss_delta(&p[0, 0], &y[0, 0], &sw[0], &delta[0, 0], p.shape[0],
                            p.shape[1], loss, out_act, loss_param)
    return total
