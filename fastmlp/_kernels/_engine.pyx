# cython: language_level=3
"""Compiled training engine: one epoch of mini-batches, the full-batch
objective for L-BFGS and gradient checks, the validation pass of early
stopping, and prediction, each on a team of threads; the Python entry points
of them all.

Layering:
  * csrc/team.h              barriers of the thread team
  * _net                     NetSpec; a block of rows through the network, a
                             block of columns of the gradient
  * _optim                   the penalty and every solver's step on ranges of
                             the flat parameter buffer
  * workers here             _epoch_worker / _objective_worker /
                             _predict_worker: the loops run by every thread
                             of a team (csrc/team.h: threads started for the
                             call and joined at its end; a team of one is the
                             plain sequential loop), calling _net and _optim
                             block by block
  * def functions here       the Python-facing entry points, each releasing the
                             GIL for all of its work, and Python-callable twins
                             of the elementwise kernels for tests

The codes of activations, losses, solvers and score rules are in _codes
(csrc/codes.h).
"""

from cython cimport floating
from libc.math cimport isfinite
from libc.stdint cimport uint64_t
from libc.stdlib cimport malloc, calloc, free
from posix.time cimport clock_gettime, timespec, CLOCK_MONOTONIC

from ._codes cimport (
    FM_N_SOLVERS, FM_N_SCORE_RULES, FM_SCORE_RESIDUALS, fm_has_second_state,
)
from ._elementwise cimport (
    fm_rng_skip, _bias_act, _act_deriv, _loss_delta, _add_vec, _all_finite,
)
from ._net cimport (
    Net, NetSpec as _NetSpec, Input, Buffers, _workspace_size, _pack_elems,
    _alloc_buffers, _carve_workspace, _dropout_width, _forward, _rows_pass, _grad_block,
    _loss_grad_chunk, _loss_score_chunk,
)
from ._optim cimport (
    StepConfig, _penalty_parts, _penalty_from_parts, _penalty, _scale_gradient,
    _next_step, _update_range,
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


cdef inline Py_ssize_t _split(Py_ssize_t n, int parts, int k) noexcept nogil:
    """Start of block k when 0..n is cut into `parts` nearly equal blocks."""
    return (n * k) // parts


# ----------------------------------------------------------------------
# One epoch on a team of threads
# ----------------------------------------------------------------------
# The column phase of a batch is cut into work items: for every layer, blocks
# of rows of its coefficient matrix (gradient product and optimizer step of
# those rows); a layer's last block also takes its intercepts (their gradient,
# the column sums of the delta, comes from the same pass over the delta).  The
# cut depends on the network and the batch size only, never on the team, and
# every item's penalty part has its own slot summed in item order, so which
# thread takes which item changes no result.
cdef enum:
    _ITEM_WORK = 1 << 18     # at least this many multiply-adds per coefficient block
                             # (a (40, 100) first layer at batch 200: 3 blocks, so a
                             # team of 2 shares its weight gradient)
    _MAX_BLOCKS = 8          # and at most this many blocks per layer: every block's
                             # product streams the layer's whole delta again


cdef inline Py_ssize_t _coef_blocks(const Net *net, Py_ssize_t i,
                                    Py_ssize_t batch_size) noexcept nogil:
    cdef Py_ssize_t fan_in = net.units[i]
    cdef Py_ssize_t per_row = max(1, net.units[i + 1] * batch_size)
    return max(1, min(fan_in, _MAX_BLOCKS, (fan_in * per_row) // _ITEM_WORK))


cdef inline Py_ssize_t _block_start(Py_ssize_t fan_in, Py_ssize_t nb,
                                    Py_ssize_t k) noexcept nogil:
    """First coefficient row of block k of nb: whole register tiles of the own
    kernels (multiples of 8 rows), the last block taking the rest."""
    cdef Py_ssize_t start
    if k >= nb:
        return fan_in
    start = _split(fan_in, <int>nb, <int>k)
    return start - start % 8


cdef Py_ssize_t _n_items(const Net *net, Py_ssize_t batch_size) noexcept nogil:
    cdef Py_ssize_t i, n = 0
    for i in range(net.n_weights):
        n += _coef_blocks(net, i, batch_size)
    return n


cdef void _item_step(const Net *net, const Input *X, const Py_ssize_t *rows,
                     Py_ssize_t start, Py_ssize_t nrows, Py_ssize_t batch_size,
                     Buffers *buf, floating *params, floating *grad, floating *s1,
                     floating *s2, double sw_sum, const StepConfig *cfg,
                     Py_ssize_t item, double *sq, double *ab) noexcept nogil:
    """Work item `item` of a batch's column phase: a block of a layer's
    coefficient gradient and its optimizer step (with, for the layer's last
    block, the intercept gradient and step); the penalty parts of the block's
    new coefficients (the next batch's penalty) go to sq[0] and ab[0].  With
    cfg == NULL, only the penalty parts of the block's current coefficients."""
    cdef Py_ssize_t i = 0, nb, c0, c1, lo, hi, fan_in, fan_out
    cdef bint intercepts
    while True:
        nb = _coef_blocks(net, i, batch_size)
        if item < nb:
            break
        item -= nb
        i += 1
    fan_in = net.units[i]
    fan_out = net.units[i + 1]
    intercepts = item == nb - 1
    c0 = _block_start(fan_in, nb, item)
    c1 = _block_start(fan_in, nb, item + 1)
    lo = net.coef_off[i] + c0 * fan_out
    hi = net.coef_off[i] + c1 * fan_out
    if cfg != NULL:
        _grad_block(net, X, rows, start, nrows, buf, grad, False, i, c0, c1, intercepts)
        _update_range(net, params, grad, s1, s2, lo, hi, True, sw_sum, cfg)
        if intercepts:
            _update_range(net, params, grad, s1, s2, net.icpt_off[i],
                          net.icpt_off[i] + fan_out, False, sw_sum, cfg)
    if net.alpha != 0:
        _penalty_parts(net, params + lo, hi - lo, sq, ab)


# Per-thread slots of Team.part, a cache line apart.
cdef enum:
    _PART_STRIDE = 8
    _PART_LOSS = 0
    _PART_SW = 1


cdef struct Team:
    # Read-only for the team
    const Net *net
    const Input *inp
    const Py_ssize_t *rows
    Py_ssize_t n
    Py_ssize_t batch_size
    Py_ssize_t n_items
    Buffers *buf           # shared by the team, but for Buffers.pack:
    void *packs            # threads 1.. take theirs here, pack_elems apart
    Py_ssize_t pack_elems
    StepConfig cfg
    uint64_t seed
    const void *Y
    const void *SW
    void *params
    void *grad
    void *s1
    void *s2
    # Written by the team, each field as documented in _epoch_worker
    double *part           # per thread: loss and weight sums of its rows
    double *item_penalty   # per work item: sum w^2 and sum |w| of its block
    Py_ssize_t next_item[2]
    double accumulated
    int status
    int stop
    int solo               # the team goes on as thread 0 alone (_end_batch)
    long long t
    SignalWatch watch


cdef int _crowded = 0     # set from Python: another fit or prediction is running


def set_crowded(bint crowded):
    """Tell running teams whether another fit or prediction runs in this
    process: a team then finishes its epoch on one thread (see _end_batch)."""
    global _crowded
    _crowded = crowded


cdef inline int _end_batch(Team *tm, fm_team_t *tmt, int rank, int team,
                           int *sense) noexcept nogil:
    """The barrier that ends a batch; returns the team size for the next batch.
    Once another fit or prediction runs in the process, thread 0 says so before
    the barrier and the team goes on as thread 0 alone (threads > 0 leave the
    loop): a team that shares its CPUs with other work waits at every barrier
    for a thread that is not running.  The model is the same at any team size."""
    if team == 1:
        return 1
    if rank == 0 and _crowded:
        tm.solo = 1
    fm_team_barrier(tmt, sense)
    return 1 if tm.solo else team


cdef void _epoch_worker(Team *tm, fm_team_t *tmt, int rank, const floating *Y,
                        const floating *SW, floating *params, floating *grad,
                        floating *s1, floating *s2) noexcept nogil:
    """One epoch of mini-batches, run by every thread of the team.

    Per batch, two phases separated by barriers:
      rows     thread k forwards and back-propagates its block of the batch's
               rows (_rows_pass) and writes its loss and weight sums to its
               slot of tm.part;
      columns  after a barrier, every thread reads the sums (same values, same
               order, so every thread takes the same decisions), then takes
               work items (_item_step) until none is left: each computes a
               block of the gradient and steps exactly those parameters,
               writing the penalty of the new coefficients to the item's slot
               of tm.item_penalty; a barrier ends the batch.
    Only thread 0 looks for signals (before the first barrier, so every thread
    sees tm.stop after it), resets the item counter of the next batch (two
    alternate, so nobody is still using it), and writes tm.status,
    tm.accumulated and tm.t.  With a team of one thread the barriers do
    nothing and the arithmetic is that of a plain sequential pass."""
    cdef const Net *net = tm.net
    cdef Buffers buf = tm.buf[0]    # the team's buffers, with this thread's pack
    cdef int team = tmt.size, sense = 0
    cdef StepConfig cfg = tm.cfg
    cdef Py_ssize_t start = 0, nrows, k, item, batch = 0
    cdef Py_ssize_t drop_width = _dropout_width(net)
    cdef uint64_t rng = tm.seed
    cdef double *mine = tm.part + _PART_STRIDE * rank
    cdef double *pen = tm.item_penalty
    cdef double sw_sum, data_loss, penalty, batch_loss, sq, ab, sw_mine
    cdef Py_ssize_t next_rows, r0
    cdef bint gather = tm.rows != NULL and tm.inp.data == NULL

    if rank > 0:
        buf.pack = (<floating *>tm.packs) + (rank - 1) * tm.pack_elems
    if rank == 0:
        for k in range(tm.n_items):
            pen[2 * k] = 0.0
            pen[2 * k + 1] = 0.0
            _item_step(net, tm.inp, tm.rows, 0, 0, tm.batch_size, &buf, params,
                       grad, s1, s2, 0.0, NULL, k, &pen[2 * k], &pen[2 * k + 1])
        tm.next_item[0] = 0
        tm.next_item[1] = 0
    if team > 1:
        fm_team_barrier(tmt, &sense)
    while start < tm.n:
        nrows = min(tm.batch_size, tm.n - start)
        # The penalty of the parameters this batch starts from; the slots were
        # written before the last barrier and are rewritten after the next.
        penalty = 0.0
        if net.alpha != 0:
            sq = 0.0
            ab = 0.0
            for k in range(tm.n_items):
                sq += pen[2 * k]
                ab += pen[2 * k + 1]
            penalty = _penalty_from_parts(net, sq, ab)
        if rank == 0:
            tm.next_item[(batch + 1) % 2] = 0

        sw_mine = 0.0
        mine[_PART_LOSS] = _rows_pass(net, tm.inp, Y, SW, tm.rows, start,
                                      _split(nrows, team, rank),
                                      _split(nrows, team, rank + 1), nrows, params,
                                      &buf, &sw_mine, rng)
        mine[_PART_SW] = sw_mine
        if rank == 0 and _signalled(&tm.watch):
            tm.stop = 1
        if team > 1:
            fm_team_barrier(tmt, &sense)
        if tm.stop:
            break
        data_loss = 0.0
        sw_sum = 0.0
        for k in range(team):
            data_loss += tm.part[_PART_STRIDE * k + _PART_LOSS]
            sw_sum += tm.part[_PART_STRIDE * k + _PART_SW]
        rng = fm_rng_skip(rng, nrows * drop_width)
        start += nrows
        if sw_sum == 0:
            # Only zero-weight samples: nothing to learn from this batch.
            batch += 1
            team = _end_batch(tm, tmt, rank, team, &sense)
            if team == 1 and rank > 0:
                break
            continue
        # The batch's loss is that of the parameters before the step.
        batch_loss = (data_loss + penalty) / sw_sum
        if not isfinite(batch_loss):
            # The estimator discards this call's parameters on this status.
            if rank == 0:
                tm.status = _STATUS_NONFINITE
            break
        if rank == 0:
            tm.accumulated += batch_loss * nrows
        if gather and start < tm.n:
            # This thread's rows of the next batch, fetched while it multiplies.
            next_rows = min(tm.batch_size, tm.n - start)
            r0 = _split(next_rows, team, rank)
            fm_prefetch_rows(<const char *>tm.inp.dense, tm.rows + start + r0,
                             _split(next_rows, team, rank + 1) - r0,
                             net.units[0] * sizeof(floating))
        _next_step(&cfg)
        while True:
            item = fm_next_item(&tm.next_item[batch % 2])
            if item >= tm.n_items:
                break
            pen[2 * item] = 0.0
            pen[2 * item + 1] = 0.0
            _item_step(net, tm.inp, tm.rows, start - nrows, nrows, tm.batch_size,
                       &buf, params, grad, s1, s2, sw_sum, &cfg, item,
                       &pen[2 * item], &pen[2 * item + 1])
        batch += 1
        team = _end_batch(tm, tmt, rank, team, &sense)
        if team == 1 and rank > 0:
            break
    if rank == 0:
        tm.t = cfg.t


cdef void _epoch_entry_d(void *arg, fm_team_t *tmt, int rank) noexcept nogil:
    cdef Team *tm = <Team *>arg
    _epoch_worker(tm, tmt, rank, <const double *>tm.Y, <const double *>tm.SW,
                  <double *>tm.params, <double *>tm.grad, <double *>tm.s1,
                  <double *>tm.s2)


cdef void _epoch_entry_s(void *arg, fm_team_t *tmt, int rank) noexcept nogil:
    cdef Team *tm = <Team *>arg
    _epoch_worker(tm, tmt, rank, <const float *>tm.Y, <const float *>tm.SW,
                  <float *>tm.params, <float *>tm.grad, <float *>tm.s1,
                  <float *>tm.s2)


# ----------------------------------------------------------------------
# Prediction on a team of threads
# ----------------------------------------------------------------------
cdef struct Predictor:
    const Net *net
    const Input *inp
    Py_ssize_t n
    Py_ssize_t chunk
    Buffers *bufs          # one per thread
    void *workspace        # one block of ws_stride elements per thread
    Py_ssize_t ws_stride
    bint check_finite
    const void *params
    void *out
    Py_ssize_t next_chunk  # the next chunk to forward (fm_next_item)
    int stop               # set by any thread: leave the loop
    int nonfinite          # a chunk held NaN or infinity
    int interrupted        # thread 0 saw a raising signal handler
    SignalWatch watch


cdef bint _rows_finite(const Input *X, const floating *values, Py_ssize_t start,
                       Py_ssize_t nrows) noexcept nogil:
    """Whether rows start..start+nrows of X hold only finite values; `values`
    are X's stored values (X.data if sparse, else X.dense) as their dtype."""
    cdef Py_ssize_t lo, hi
    if X.data != NULL:
        lo = X.indptr[start]
        hi = X.indptr[start + nrows]
        if X.indices == NULL or hi <= lo:
            return True
        return _all_finite(values + lo, hi - lo)
    return _all_finite(values + start * X.n_features, nrows * X.n_features)


cdef void _predict_worker(Predictor *pr, int rank, const floating *params,
                          floating *out) noexcept nogil:
    """Chunks of rows forwarded into `out`, each taken by whichever thread is
    free (a thread slowed down by other load takes fewer); thread 0 looks for
    signals.  A chunk with a non-finite input value stops every thread
    (pr.nonfinite) before it is forwarded."""
    cdef const Net *net = pr.net
    cdef Py_ssize_t start, nrows, n_out = net.units[net.n_weights]
    cdef Buffers *buf = &pr.bufs[rank]
    cdef const floating *X_values = <const floating *>(
        pr.inp.data if pr.inp.data != NULL else pr.inp.dense)
    _carve_workspace(net, (<floating *>pr.workspace) + rank * pr.ws_stride, pr.chunk,
                     gather=False, backward=False, dropout=False, buf=buf)
    while not pr.stop:
        start = fm_next_item(&pr.next_chunk) * pr.chunk
        if start >= pr.n:
            break
        nrows = min(pr.chunk, pr.n - start)
        if pr.check_finite and not _rows_finite(pr.inp, X_values, start, nrows):
            pr.nonfinite = 1
            pr.stop = 1
            break
        _forward(net, pr.inp, NULL, start, 0, nrows, nrows, params, buf,
                 out + start * n_out, 0)
        if rank == 0 and _signalled(&pr.watch):
            pr.interrupted = 1
            pr.stop = 1


cdef void _predict_entry_d(void *arg, fm_team_t *tmt, int rank) noexcept nogil:
    cdef Predictor *pr = <Predictor *>arg
    _predict_worker(pr, rank, <const double *>pr.params, <double *>pr.out)


cdef void _predict_entry_s(void *arg, fm_team_t *tmt, int rank) noexcept nogil:
    cdef Predictor *pr = <Predictor *>arg
    _predict_worker(pr, rank, <const float *>pr.params, <float *>pr.out)


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


cdef struct Objective:
    const Net *net
    const Input *inp
    const void *Y
    const void *SW
    const void *params
    void *grad             # slot 0's gradient: the caller's buffer; NULL in a
                           # validation pass, which scores the rows instead
    void *slot_grads       # slots 1..n_slots-1, n_params apart
    int rule               # validation pass: the score rule (_codes.SCORE_RULES)
    Py_ssize_t n_sums      # score sums per slot
    double *slot_sums      # per slot: n_sums score sums
    void *correct          # per row: 1 where predicted right (class rules) or NULL
    int nonfinite          # set by any thread: an output was not finite
    Py_ssize_t n_params
    Py_ssize_t n
    Py_ssize_t n_chunks
    int n_slots
    int n_threads
    void *workspace0       # thread 0's workspace: the caller's
    void *workspace        # threads 1..n_threads-1, ws_stride apart
    Py_ssize_t ws_stride
    Py_ssize_t max_rows    # rows of the largest chunk
    Buffers *bufs          # one per thread
    double *slot_loss      # sum of sw * loss per slot
    double *slot_sw        # sum of sw per slot
    double loss_sum        # sums of the slots' loss and weight sums
    double sw_sum
    int stop               # set by thread 0 on a raising signal handler
    int interrupted
    SignalWatch watch


cdef void _objective_worker(Objective *ob, int rank, const floating *Y,
                            const floating *SW, const floating *params,
                            floating *grad, floating *slot_grads,
                            floating *correct) noexcept nogil:
    """Slots rank, rank + n_threads, ... of the full-batch gradient, or of the
    validation pass's score sums when grad is NULL."""
    cdef const Net *net = ob.net
    cdef Buffers *buf = &ob.bufs[rank]
    cdef floating *ws
    cdef floating *g = NULL
    cdef Py_ssize_t c, k, start, stop_row
    cdef int slot = rank
    cdef double loss, sw
    cdef bint finite = True
    if rank == 0:
        ws = <floating *>ob.workspace0
    else:
        ws = (<floating *>ob.workspace) + (rank - 1) * ob.ws_stride
    _carve_workspace(net, ws, ob.max_rows, gather=False, backward=True, dropout=False,
                     buf=buf)
    while slot < ob.n_slots and not ob.stop:
        if grad != NULL:
            g = grad if slot == 0 else slot_grads + (slot - 1) * ob.n_params
        loss = 0.0
        sw = 0.0
        c = slot
        while c < ob.n_chunks:
            start = _split(ob.n, <int>ob.n_chunks, <int>c)
            stop_row = _split(ob.n, <int>ob.n_chunks, <int>c + 1)
            if g == NULL:
                loss += _loss_score_chunk(net, ob.inp, Y, SW, start, stop_row - start,
                                          params, buf, &sw, ob.rule,
                                          ob.slot_sums + slot * ob.n_sums, correct,
                                          &finite)
            else:
                loss += _loss_grad_chunk(net, ob.inp, Y, SW, start, stop_row - start,
                                         params, g, c != slot, buf, &sw)
            if rank == 0 and _signalled(&ob.watch):
                ob.interrupted = 1
                ob.stop = 1
            if ob.stop:
                break
            c += ob.n_slots
        ob.slot_loss[slot] = loss
        ob.slot_sw[slot] = sw
        slot += ob.n_threads
    if not finite:
        ob.nonfinite = 1


cdef void _objective_entry_d(void *arg, fm_team_t *tmt, int rank) noexcept nogil:
    cdef Objective *ob = <Objective *>arg
    _objective_worker(ob, rank, <const double *>ob.Y, <const double *>ob.SW,
                      <const double *>ob.params, <double *>ob.grad,
                      <double *>ob.slot_grads, <double *>ob.correct)


cdef void _objective_entry_s(void *arg, fm_team_t *tmt, int rank) noexcept nogil:
    cdef Objective *ob = <Objective *>arg
    _objective_worker(ob, rank, <const float *>ob.Y, <const float *>ob.SW,
                      <const float *>ob.params, <float *>ob.grad,
                      <float *>ob.slot_grads, <float *>ob.correct)


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


cdef int _check_team(int n_threads) except -1:
    if n_threads < 1:
        raise ValueError("n_threads must be >= 1")
    return 0


def train_epoch(
    _NetSpec spec,
    const floating[:, ::1] X_dense, const floating[::1] X_data,
    const Py_ssize_t[::1] X_indices, const Py_ssize_t[::1] X_indptr, bint sparse,
    const floating[:, ::1] Y, const floating[::1] sample_weight,
    const Py_ssize_t[::1] sample_idx, bint use_idx, Py_ssize_t batch_size,
    floating[::1] params, floating[::1] grad, floating[::1] workspace,
    int solver, floating[::1] state1, floating[::1] state2, double learning_rate,
    double momentum, bint nesterov, double beta_1, double beta_2, double epsilon,
    double rho, double weight_decay, long long t, unsigned long long seed,
    int n_threads=1,
):
    """Run one epoch of mini-batch training in compiled code.

    Batches are consecutive slices of `sample_idx` (or of the rows in order
    when `use_idx` is false), the last one short.  Each batch does forward
    (with dropout masks drawn from a stream seeded by `seed`), loss, backward,
    penalty and one optimizer step (`solver`: a value of _codes.SOLVER_CODES;
    state1/state2 are the solver's per-parameter buffers, `t` counts Adam
    steps).

    With `n_threads` > 1 a team of threads shares every batch (see
    _epoch_worker); each thread calls BLAS for its own blocks, so the caller
    should keep BLAS single-threaded meanwhile.

    Returns (sum over batches of batch_loss * batch_rows, t, status).  On a
    non-finite batch loss the loop stops with status STATUS_NONFINITE.  A
    signal handler that raises (Ctrl-C) ends the loop within ~50 ms and its
    exception propagates.
    """
    cdef Net *net = &spec.net
    cdef Input inp
    cdef Buffers buf
    cdef Team tm
    cdef Team *tmp = &tm
    cdef Py_ssize_t n_data = Y.shape[0], n_params = params.shape[0]
    cdef Py_ssize_t n = sample_idx.shape[0] if use_idx else n_data
    cdef Py_ssize_t j
    cdef bint gather = use_idx and not sparse
    cdef const floating *y_ptr
    cdef const floating *sw_ptr
    cdef floating *p_ptr
    cdef floating *g_ptr
    cdef floating *s1_ptr
    cdef floating *s2_ptr

    _check_params(net, n_params)
    _check_team(n_threads)
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
    if workspace.shape[0] < _workspace_size(net, batch_size, gather, backward=True,
                                            dropout=True):
        raise ValueError("workspace too small")
    if not 0 <= solver < FM_N_SOLVERS:
        raise ValueError("unknown solver code")
    if grad.shape[0] != n_params or state1.shape[0] != n_params or \
            (fm_has_second_state(solver) and state2.shape[0] != n_params):
        raise ValueError("parameter buffers differ in length")
    if n == 0:
        return 0.0, t, _STATUS_OK
    tm.net = net
    tm.inp = &inp
    tm.rows = &sample_idx[0] if use_idx else NULL
    tm.n = n
    tm.batch_size = batch_size
    tm.buf = &buf
    tm.cfg.solver = solver
    tm.cfg.lr = learning_rate
    tm.cfg.momentum = momentum
    tm.cfg.nesterov = nesterov
    tm.cfg.beta_1 = beta_1
    tm.cfg.beta_2 = beta_2
    tm.cfg.epsilon = epsilon
    tm.cfg.rho = rho
    tm.cfg.weight_decay = weight_decay
    tm.cfg.t = t
    tm.cfg.lr_t = 0.0
    tm.seed = seed
    tm.accumulated = 0.0
    tm.status = _STATUS_OK
    tm.stop = 0
    tm.solo = 0
    tm.t = t
    y_ptr = &Y[0, 0]
    sw_ptr = &sample_weight[0]
    p_ptr = &params[0]
    g_ptr = &grad[0]
    s1_ptr = &state1[0]
    s2_ptr = &state2[0] if state2.shape[0] > 0 else NULL

    tm.n_items = _n_items(net, batch_size)
    tm.Y = y_ptr
    tm.SW = sw_ptr
    tm.params = p_ptr
    tm.grad = g_ptr
    tm.s1 = s1_ptr
    tm.s2 = s2_ptr
    tm.part = <double *>calloc(_PART_STRIDE * n_threads, sizeof(double))
    tm.item_penalty = <double *>calloc(2 * tm.n_items, sizeof(double))
    tm.pack_elems = _pack_elems(net, True)
    tm.packs = malloc(max(1, (n_threads - 1) * tm.pack_elems) * sizeof(floating))
    if tm.part == NULL or tm.item_penalty == NULL or tm.packs == NULL:
        free(tm.part)
        free(tm.item_penalty)
        free(tm.packs)
        raise MemoryError()
    try:
        _alloc_buffers(&buf, net.n_weights)
    except MemoryError:
        free(tm.part)
        free(tm.item_penalty)
        free(tm.packs)
        raise
    try:
        tm.watch.next_check = _now() + _SIGNAL_INTERVAL
        _carve_workspace(net, &workspace[0], batch_size, gather, backward=True,
                         dropout=True, buf=&buf)
        with nogil:
            if floating is float:
                fm_team_run(n_threads, _epoch_entry_s, tmp)
            else:
                fm_team_run(n_threads, _epoch_entry_d, tmp)
    finally:
        free(buf.acts)
        free(tm.part)
        free(tm.item_penalty)
        free(tm.packs)
    if tm.stop:
        _raise_pending()
    return tm.accumulated, tm.t, tm.status


cdef int _run_objective(Objective *ob, _NetSpec spec,
                        const floating[:, ::1] X_dense, const floating[::1] X_data,
                        const Py_ssize_t[::1] X_indices, const Py_ssize_t[::1] X_indptr,
                        bint sparse, const floating[:, ::1] Y,
                        const floating[::1] sample_weight, const floating[::1] params,
                        floating *grad, floating[::1] workspace, Py_ssize_t chunk,
                        int n_threads, int rule, double *sums, Py_ssize_t n_sums,
                        floating *correct) except -1:
    """The team of a full-batch pass over every row of X (see Objective):
    writes the unscaled data gradient into `grad`, or, with grad NULL, the
    rows' score sums by `rule` into sums[0..n_sums) and, for the class rules,
    `correct`.  Leaves the weighted loss and weight sums in ob.loss_sum and
    ob.sw_sum."""
    cdef Net *net = &spec.net
    cdef Input inp
    cdef Objective *obp = ob
    cdef Py_ssize_t n = Y.shape[0], n_params = params.shape[0], k, j

    _check_params(net, n_params)
    _check_team(n_threads)
    _make_input(&inp, X_dense, X_data, X_indices, X_indptr, sparse, n, net.units[0])
    if n == 0:
        raise ValueError("a full-batch pass needs at least one sample")
    if sample_weight.shape[0] != n or Y.shape[1] != net.units[net.n_weights]:
        raise ValueError("Y or sample_weight do not match X")
    chunk = max(1, min(chunk, n))
    if workspace.shape[0] < _workspace_size(net, chunk, gather=False, backward=True,
                                            dropout=False):
        raise ValueError("workspace too small")
    ob.n_chunks = max((n + chunk - 1) // chunk, min(<Py_ssize_t>_MAX_SLOTS,
                                                     n // _MIN_CHUNK_ROWS))
    ob.n_slots = <int>min(ob.n_chunks, <Py_ssize_t>_MAX_SLOTS)
    ob.n_threads = min(n_threads, ob.n_slots)
    ob.max_rows = (n + ob.n_chunks - 1) // ob.n_chunks
    ob.net = net
    ob.inp = &inp
    ob.Y = &Y[0, 0]
    ob.SW = &sample_weight[0]
    ob.params = &params[0]
    ob.grad = grad
    ob.n_params = n_params
    ob.rule = rule
    ob.n_sums = n_sums
    ob.correct = correct
    ob.nonfinite = 0
    ob.n = n
    ob.workspace0 = &workspace[0]
    ob.ws_stride = max(1, _workspace_size(net, ob.max_rows, gather=False, backward=True,
                                          dropout=False))
    ob.stop = 0
    ob.interrupted = 0
    ob.loss_sum = 0.0
    ob.sw_sum = 0.0
    ob.slot_grads = malloc(max(1, (ob.n_slots - 1) * n_params if grad != NULL else 0)
                           * sizeof(floating))
    ob.slot_sums = <double *>calloc(max(1, ob.n_slots * n_sums), sizeof(double))
    ob.workspace = malloc(max(1, (ob.n_threads - 1) * ob.ws_stride) * sizeof(floating))
    ob.slot_loss = <double *>calloc(2 * ob.n_slots, sizeof(double))
    ob.slot_sw = ob.slot_loss + ob.n_slots if ob.slot_loss != NULL else NULL
    ob.bufs = <Buffers *>calloc(ob.n_threads, sizeof(Buffers))
    try:
        if (ob.slot_grads == NULL or ob.slot_sums == NULL or ob.workspace == NULL or
                ob.slot_loss == NULL or ob.bufs == NULL):
            raise MemoryError()
        for k in range(ob.n_threads):
            _alloc_buffers(&ob.bufs[k], net.n_weights)
        ob.watch.next_check = _now() + _SIGNAL_INTERVAL
        with nogil:
            if floating is float:
                fm_team_run(ob.n_threads, _objective_entry_s, obp)
            else:
                fm_team_run(ob.n_threads, _objective_entry_d, obp)
            if not ob.interrupted:
                for k in range(ob.n_slots):
                    ob.loss_sum += ob.slot_loss[k]
                    ob.sw_sum += ob.slot_sw[k]
                for k in range(1, ob.n_slots if grad != NULL else 0):
                    _add_vec(grad, <floating *>ob.slot_grads + (k - 1) * n_params,
                             n_params)
                for j in range(n_sums):
                    sums[j] = 0.0
                    for k in range(ob.n_slots):
                        sums[j] += ob.slot_sums[k * n_sums + j]
    finally:
        if ob.bufs != NULL:
            for k in range(ob.n_threads):
                free(ob.bufs[k].acts)
        free(ob.bufs)
        free(ob.slot_loss)
        free(ob.workspace)
        free(ob.slot_sums)
        free(ob.slot_grads)
    if ob.interrupted:
        _raise_pending()
    return 0


def loss_grad(
    _NetSpec spec,
    const floating[:, ::1] X_dense, const floating[::1] X_data,
    const Py_ssize_t[::1] X_indices, const Py_ssize_t[::1] X_indptr, bint sparse,
    const floating[:, ::1] Y, const floating[::1] sample_weight,
    const floating[::1] params, floating[::1] grad, floating[::1] workspace,
    Py_ssize_t chunk, int n_threads=1,
):
    """Full-batch objective and gradient (L-BFGS, gradient checks), computed
    over row chunks of at most `chunk` rows so the workspace (sized by the
    caller for `chunk` rows) does not grow with the number of samples.  No
    dropout.  With `n_threads` > 1 a team of threads shares the chunks (each
    calls BLAS itself: keep BLAS single-threaded meanwhile); the result does not
    depend on `n_threads` (see Objective).  Returns (objective, data_loss) with
    data_loss the weighted mean loss without the penalty; `grad` receives the
    objective's gradient."""
    cdef Net *net = &spec.net
    cdef Objective ob
    cdef Py_ssize_t n_params = params.shape[0]
    cdef double penalty

    _check_params(net, n_params)
    if grad.shape[0] != n_params:
        raise ValueError("grad and params differ in length")
    _run_objective(&ob, spec, X_dense, X_data, X_indices, X_indptr, sparse, Y,
                   sample_weight, params, &grad[0], workspace, chunk, n_threads,
                   0, NULL, 0, <floating *>NULL)
    with nogil:
        penalty = _penalty(net, &params[0])
        _scale_gradient(net, &params[0], &grad[0], n_params, ob.sw_sum)
    return (ob.loss_sum + penalty) / ob.sw_sum, ob.loss_sum / ob.sw_sum


def validation_pass(
    _NetSpec spec,
    const floating[:, ::1] X_dense, const floating[::1] X_data,
    const Py_ssize_t[::1] X_indices, const Py_ssize_t[::1] X_indptr, bint sparse,
    const floating[:, ::1] Y, const floating[::1] sample_weight,
    const floating[::1] params, floating[::1] workspace, Py_ssize_t chunk,
    int rule, double[::1] sums, floating[::1] correct, int n_threads=1,
):
    """Data loss and score sums of early stopping's held-out rows, in one
    forward pass: the rows cut into chunks and shared out as by loss_grad
    (same arguments), no gradient, no dropout.

    `rule`, a value of _codes.SCORE_RULES, says what the score needs.
    "residuals": sums[j] = sum_r sw_r (Y[r, j] - out[r, j])^2 for every output
    j.  The class rules ("argmax", "above_half", "above_zero": how the
    classifier's predict decides): correct[r] = 1 where row r's prediction is
    Y[r]'s class (all of its labels), else 0, and sums[0] = the weight sum of
    those rows.  Sums are accumulated in double, outputs compared in the
    network's dtype.

    Returns (data_loss, finite): data_loss is loss_grad's data_loss, bit for
    bit; finite is False when an output is NaN or infinite."""
    cdef Objective ob
    cdef Py_ssize_t n_out = spec.net.units[spec.net.n_weights]
    cdef bint class_rule = rule != FM_SCORE_RESIDUALS
    cdef floating *correct_ptr = NULL

    if not 0 <= rule < FM_N_SCORE_RULES:
        raise ValueError("unknown score rule")
    if sums.shape[0] != (1 if class_rule else n_out):
        raise ValueError("sums needs one entry (class rules) or one per output")
    if class_rule:
        if correct.shape[0] != Y.shape[0]:
            raise ValueError("correct needs one entry per row")
        if correct.shape[0] > 0:
            correct_ptr = &correct[0]
    _run_objective(&ob, spec, X_dense, X_data, X_indices, X_indptr, sparse, Y,
                   sample_weight, params, <floating *>NULL, workspace, chunk, n_threads,
                   rule, &sums[0], sums.shape[0], correct_ptr)
    return ob.loss_sum / ob.sw_sum, not ob.nonfinite


def predict(
    _NetSpec spec,
    const floating[:, ::1] X_dense, const floating[::1] X_data,
    const Py_ssize_t[::1] X_indices, const Py_ssize_t[::1] X_indptr, bint sparse,
    const floating[::1] params, floating[:, ::1] out, Py_ssize_t chunk,
    int n_threads=1, bint check_finite=False,
):
    """Output-layer activations for every row of X, computed over row chunks
    of `chunk` rows shared out among `n_threads` threads (each calls BLAS
    itself: keep BLAS single-threaded meanwhile).

    Returns False, with `out` incomplete, when `check_finite` is set and X holds
    a NaN or an infinity (each chunk is checked just before it is forwarded),
    True otherwise."""
    cdef Net *net = &spec.net
    cdef Input inp
    cdef Predictor pr
    cdef Predictor *prp = &pr
    cdef Py_ssize_t n = out.shape[0], k
    cdef const floating *p_ptr
    cdef floating *o_ptr

    _check_params(net, params.shape[0])
    _check_team(n_threads)
    _make_input(&inp, X_dense, X_data, X_indices, X_indptr, sparse, n, net.units[0])
    if out.shape[1] != net.units[net.n_weights]:
        raise ValueError("out has the wrong number of columns")
    if n == 0:
        return True
    chunk = max(1, min(chunk, n))
    n_threads = <int>min(<Py_ssize_t>n_threads, (n + chunk - 1) // chunk)
    pr.net = net
    pr.inp = &inp
    pr.n = n
    pr.chunk = chunk
    pr.ws_stride = max(1, _workspace_size(net, chunk, gather=False, backward=False,
                                          dropout=False))
    pr.check_finite = check_finite
    p_ptr = &params[0]
    o_ptr = &out[0, 0]
    pr.params = p_ptr
    pr.out = o_ptr
    pr.next_chunk = 0
    pr.stop = 0
    pr.nonfinite = 0
    pr.interrupted = 0
    pr.workspace = malloc(n_threads * pr.ws_stride * sizeof(floating))
    pr.bufs = <Buffers *>calloc(n_threads, sizeof(Buffers))
    try:
        if pr.workspace == NULL or pr.bufs == NULL:
            raise MemoryError()
        for k in range(n_threads):
            _alloc_buffers(&pr.bufs[k], net.n_weights)
        pr.watch.next_check = _now() + _SIGNAL_INTERVAL
        with nogil:
            if floating is float:
                fm_team_run(n_threads, _predict_entry_s, prp)
            else:
                fm_team_run(n_threads, _predict_entry_d, prp)
    finally:
        if pr.bufs != NULL:
            for k in range(n_threads):
                free(pr.bufs[k].acts)
        free(pr.bufs)
        free(pr.workspace)
    if pr.interrupted:
        _raise_pending()
    return not pr.nonfinite


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
        total = _loss_delta(&p[0, 0], &y[0, 0], &sw[0], &delta[0, 0], p.shape[0],
                            p.shape[1], loss, out_act, loss_param)
    return total
