# cython: language_level=3
"""The network: its description (NetSpec), the workspace of a block of rows,
and forward and backward passes over such a block, without the GIL.

Layering:
  * csrc/elementwise.h       activations, derivatives, loss and output delta,
                             dropout masks (through _elementwise.pxd)
  * _blas.pxd                GEMM and axpy over scipy's BLAS
  * _gemm.pxd                the own small-GEMM kernels with fused row
                             epilogues; NetSpec says which products use them
  * cdef functions here      forward, forward and backward (the deltas) of a
                             block of rows, the weight gradient of a block of
                             coefficient rows, over a Data (X, Y, weights)
                             and a Batch (which rows); called by the
                             thread-team drivers of _engine
  * NetSpec                  built by the estimators once per fit (and kept
                             for predictions); _engine.Network pairs it with
                             the flat parameters; _optim reads its Net
                             (penalty terms)

The network's parameters live in one flat buffer in scikit-learn's packing order
(all coefficient matrices, then all intercept vectors); `coef_off[i]` and
`icpt_off[i]` give where layer i starts.  Gradients and optimizer state are
buffers of the same layout, so an optimizer step is a single loop (_optim).

A Batch addresses rows either contiguously (`rows == NULL`: row `start + r`)
or through an index array (`rows[start + r]`), which is how mini-batches follow
the shuffled sample order without copying X.
"""

from cython cimport floating
from libc.stdint cimport uint64_t
from libc.stdlib cimport calloc
from libc.string cimport memset, memcpy

from ._blas cimport gemm_rm, axpy
from ._gemm cimport (
    fm_gemm_args, fm_epilogue_t, own_gemm, gemm_args, fm_op, fm_gemm_op_pack_elems,
    FM_FORWARD, FM_DELTA, FM_WEIGHT_GRAD, FM_N_OPS,
)
from ._elementwise cimport (
    fm_needs_z, fm_rng_skip, _bias_act, _add_bias, _act_deriv, _loss_delta,
    _colsum_add, _dropout, _score_rows,
)

import numpy as np

from ._codes import ACTIVATION_CODES, LOSS_CODES
from . import _gemm


cdef class NetSpec:
    """What the engine needs to know about a network, built once per fit.

    Parameters
    ----------
    layout : fastmlp._network.Layout
        Layer widths (input first) and where each layer's coefficients and
        intercepts start in the flat parameter buffer.
    activations : sequence of str
        Activation of every weight layer's output, the output layer's last.
    loss : str
        A key of _codes.LOSS_CODES.
    loss_param : float
        The huber loss's delta.
    alpha, l1_ratio : float
        Penalty alpha * ((1 - l1_ratio) * 0.5 ||W||^2 + l1_ratio ||W||_1).
    dropout : sequence of float
        Dropout rate of every hidden layer (training only).
    kernels : {"auto", "own", "blas"} or None
        Which products run on the own kernels (see _gemm.choose); None reads
        the FASTMLP_KERNELS environment variable.
    """

    def __init__(self, layout, activations, loss, loss_param=1.0, alpha=0.0,
                 l1_ratio=0.0, dropout=None, kernels=None):
        cdef const Py_ssize_t[::1] u, co, io
        cdef const int[::1] ac
        cdef const double[::1] dr
        cdef const unsigned char[::1] od, os_
        self.layout = layout
        self.units = np.ascontiguousarray(layout.units, dtype=np.intp)
        self.coef_off = np.ascontiguousarray(layout.coef_off, dtype=np.intp)
        self.icpt_off = np.ascontiguousarray(layout.icpt_off, dtype=np.intp)
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
        self.own_d, self.own_s = _gemm.layer_choices(
            self.units, _gemm.kernel_mode() if kernels is None else kernels)
        u, co, io = self.units, self.coef_off, self.icpt_off
        ac, dr = self.act_codes, self.dropout_rates
        od, os_ = self.own_d, self.own_s
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
        self.net.own_d = &od[0]
        self.net.own_s = &os_[0]
        self.n_params = io[n_weights - 1] + u[n_weights]
        self.last_network = None



cdef inline Py_ssize_t _row(const Py_ssize_t *rows, Py_ssize_t i) noexcept nogil:
    return rows[i] if rows != NULL else i


cdef inline floating *_at(floating *base, Py_ssize_t offset) noexcept nogil:
    # NULL stays NULL: optional buffers (pre-activations, masks) keep their meaning.
    return NULL if base == NULL else base + offset


# ----------------------------------------------------------------------
# Own kernels (csrc/gemm.h) and their row epilogues
# ----------------------------------------------------------------------
cdef inline bint _own(const Net *net, Py_ssize_t i, int op,
                      const floating *like) noexcept nogil:
    """Product `op` of weight layer i runs on the own kernels (`like` only
    picks the dtype)."""
    if floating is float:
        return net.own_s[3 * i + op]
    else:
        return net.own_d[3 * i + op]


cdef struct ForwardRows:
    # What follows a layer's forward product on its rows i0..i1 (of a block).
    void *z             # the product, then the pre-activation z + b (or out)
    void *out           # activations
    const void *b       # intercepts
    int act
    Py_ssize_t width    # fan_out
    void *mask          # dropout (NULL: none): masks and dropped activations
    void *dropped
    double rate
    uint64_t rng        # dropout stream state at the block's row 0


cdef void _forward_rows(ForwardRows *e, const floating *like, Py_ssize_t i0,
                        Py_ssize_t i1) noexcept nogil:
    """Bias, activation and dropout of rows i0..i1 of a forward product: z and
    out (rows, e.width), b (e.width,)."""
    cdef Py_ssize_t w = e.width, off = i0 * e.width, rows = i1 - i0
    cdef floating *z = (<floating *>e.z) + off
    cdef floating *out = (<floating *>e.out) + off
    cdef uint64_t state
    _bias_act(z, <const floating *>e.b, out, rows, w, e.act)
    if z != out:
        # Keep the pre-activation z + b for derivatives that need it.
        _add_bias(z, <const floating *>e.b, rows, w)
    if e.mask != NULL:
        state = fm_rng_skip(e.rng, off)
        _dropout(out, (<floating *>e.mask) + off, (<floating *>e.dropped) + off,
                 rows * w, e.rate, &state)


cdef void _forward_rows_d(void *ctx, Py_ssize_t i0, Py_ssize_t i1) noexcept nogil:
    _forward_rows(<ForwardRows *>ctx, <const double *>NULL, i0, i1)


cdef void _forward_rows_s(void *ctx, Py_ssize_t i0, Py_ssize_t i1) noexcept nogil:
    _forward_rows(<ForwardRows *>ctx, <const float *>NULL, i0, i1)


cdef struct DeltaRows:
    # What follows a delta's product D W^T on its rows i0..i1 (of a block).
    void *d             # the product: the new delta
    const void *mask    # dropout masks of the layer, or NULL
    const void *a       # the layer's activations
    const void *z       # its pre-activations, or NULL
    int act
    Py_ssize_t width    # fan_in


cdef void _delta_rows(DeltaRows *e, const floating *like, Py_ssize_t i0,
                      Py_ssize_t i1) noexcept nogil:
    """Dropout mask and activation derivative on rows i0..i1 of a delta: d, mask,
    a and z (rows, e.width)."""
    cdef Py_ssize_t p, off = i0 * e.width, n = (i1 - i0) * e.width
    cdef floating *d = (<floating *>e.d) + off
    cdef const floating *mask = <const floating *>e.mask
    if mask != NULL:
        mask += off
        for p in range(n):
            d[p] = d[p] * mask[p]
    _act_deriv((<const floating *>e.a) + off, _at(<floating *>e.z, off), d, n, e.act)


cdef void _delta_rows_d(void *ctx, Py_ssize_t i0, Py_ssize_t i1) noexcept nogil:
    _delta_rows(<DeltaRows *>ctx, <const double *>NULL, i0, i1)


cdef void _delta_rows_s(void *ctx, Py_ssize_t i0, Py_ssize_t i1) noexcept nogil:
    _delta_rows(<DeltaRows *>ctx, <const float *>NULL, i0, i1)


# ----------------------------------------------------------------------
# Workspace (see Buffers in _net.pxd)
# ----------------------------------------------------------------------
cdef inline bint _has_z(const Net *net, Py_ssize_t i) noexcept nogil:
    # Hidden layer i (1 <= i < L) keeps its pre-activations.
    return 0 < i < net.n_weights and fm_needs_z(net.act[i - 1])


cdef inline bint _has_dropout(const Net *net, Py_ssize_t i) noexcept nogil:
    # Hidden layer i (1 <= i < L) drops units in training.
    return 0 < i < net.n_weights and net.dropout[i - 1] > 0


cdef Py_ssize_t _workspace_size(const Net *net, Py_ssize_t chunk, bint gather,
                                bint backward, bint dropout) noexcept nogil:
    """Elements that _carve_workspace lays out with the same arguments."""
    cdef Py_ssize_t i, size = 0, L = net.n_weights
    if gather:
        size += chunk * net.units[0]
    for i in range(1, L + 1):
        size += chunk * net.units[i]
        if _has_z(net, i):
            size += chunk * net.units[i]
        if dropout and _has_dropout(net, i):
            size += 2 * chunk * net.units[i]
        if backward:
            size += chunk * net.units[i]       # deltas[i - 1]
    if backward:
        size += chunk * net.units[L] + chunk   # ybuf, swbuf
    return size + _pack_elems(net, backward)


cdef Py_ssize_t _pack_elems(const Net *net, bint backward) noexcept nogil:
    """Elements of Buffers.pack: the most that a product on the own kernels
    may copy (csrc/gemm.h, fm_gemm_op_pack_elems), over both dtypes and every
    layer's products (forward only unless `backward`)."""
    cdef Py_ssize_t i, size = 0
    cdef int op
    for i in range(net.n_weights):
        for op in range(<int>FM_N_OPS):
            if (op != FM_FORWARD and not backward) or (op == FM_DELTA and i == 0):
                continue    # prediction: forward only; no delta into the input
            if net.own_d[3 * i + op]:
                size = max(size, fm_gemm_op_pack_elems(<fm_op>op, net.units[i],
                                                       net.units[i + 1], sizeof(double)))
            if net.own_s[3 * i + op]:
                size = max(size, fm_gemm_op_pack_elems(<fm_op>op, net.units[i],
                                                       net.units[i + 1], sizeof(float)))
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


cdef void _carve_workspace(const Net *net, floating *ws, Py_ssize_t chunk, bint gather,
                           bint backward, bint dropout, Buffers *buf) noexcept nogil:
    """Point `buf` into the workspace `ws` for chunks of `chunk` rows: the
    gathered input rows when `gather`, every layer's activations (and
    pre-activations where a derivative needs them), the dropout masks and
    dropped activations when `dropout`, the deltas and gathered targets and
    weights when `backward`, and the own kernels' pack.  Buffers left out
    stay NULL."""
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
        if dropout and _has_dropout(net, i):
            buf.masks[i] = ws
            ws += chunk * net.units[i]
            buf.dropped[i] = ws
            ws += chunk * net.units[i]
    if backward:
        for i in range(L):
            buf.deltas[i] = ws
            ws += chunk * net.units[i + 1]
        buf.ybuf = ws
        ws += chunk * net.units[L]
        buf.swbuf = ws
        ws += chunk
    buf.pack = ws


cdef Py_ssize_t _dropout_width(const Net *net) noexcept nogil:
    """Mask draws per row of a batch: the widths of the layers with dropout."""
    cdef Py_ssize_t i, width = 0
    for i in range(1, net.n_weights):
        if _has_dropout(net, i):
            width += net.units[i]
    return width


cdef void _forward(const Net *net, const Data *data, const Batch *batch,
                   Py_ssize_t r0, Py_ssize_t r1, const floating *params, Buffers *buf,
                   floating *out) noexcept nogil:
    """Forward rows r0..r1 of `batch` (row r is sample _row(batch.rows,
    batch.start + r) of data.X, (n, units[0])) through the network with flat
    parameters `params` (n_params,).  Every buffer, and `out` (the output layer,
    (batch.n, units[L])), holds the batch's row r at row r, so threads working on
    disjoint row blocks share them.  Dropout (where buf.masks is set) draws the
    masks of this block exactly where one pass over the whole batch, layer by
    layer and row by row from stream state batch.rng, would have drawn them.

    A product on the own kernels reads the first layer's rows through the
    batch index and applies bias, activation and dropout to each strip of rows
    as soon as it is done (_forward_rows); on BLAS, the rows are gathered first
    (when the weight gradient needs them too) and the same epilogue follows
    the whole block."""
    cdef const Input *X = &data.X
    cdef const Py_ssize_t *rows = batch.rows
    cdef Py_ssize_t start = batch.start
    cdef Py_ssize_t i, r, p, src, nf = X.n_features, L = net.n_weights
    cdef Py_ssize_t nrows = r1 - r0, drawn = 0
    cdef const floating *a_in
    cdef const floating *dense = <const floating *>X.dense
    cdef const floating *values = <const floating *>X.data
    cdef floating *a_out
    cdef floating *z
    cdef floating *gathered
    cdef const floating *W
    cdef Py_ssize_t fan_in, fan_out
    cdef const Py_ssize_t *a_rows
    cdef ForwardRows epi
    cdef fm_gemm_args g
    if nrows <= 0:
        return
    for i in range(L):
        a_rows = NULL
        fan_in = net.units[i]
        fan_out = net.units[i + 1]
        a_out = (out if i == L - 1 else <floating *>buf.acts[i + 1]) + r0 * fan_out
        z = _at(<floating *>buf.zs[i + 1], r0 * fan_out)
        if z == NULL:
            z = a_out
        W = params + net.coef_off[i]
        epi.z = z
        epi.out = a_out
        epi.b = params + net.icpt_off[i]
        epi.act = net.act[i]
        epi.width = fan_out
        epi.mask = NULL
        if buf.masks[i + 1] != NULL:
            epi.mask = _at(<floating *>buf.masks[i + 1], r0 * fan_out)
            epi.dropped = _at(<floating *>buf.dropped[i + 1], r0 * fan_out)
            epi.rate = net.dropout[i]
            epi.rng = fm_rng_skip(batch.rng, drawn + r0 * fan_out)
            drawn += batch.n * fan_out
        if i == 0 and values != NULL:
            memset(z, 0, nrows * fan_out * sizeof(floating))
            for r in range(nrows):
                src = _row(rows, start + r0 + r)
                for p in range(X.indptr[src], X.indptr[src + 1]):
                    axpy(fan_out, values[p], W + X.indices[p] * fan_out,
                         z + r * fan_out)
            _forward_rows(&epi, params, 0, nrows)
            continue
        if i == 0:
            a_in = dense
            if rows == NULL:
                a_in = dense + (start + r0) * nf
            else:
                a_rows = rows + start + r0
            if rows != NULL and not (_own(net, 0, FM_FORWARD, params)
                      and _own(net, 0, FM_WEIGHT_GRAD, params)):
                gathered = (<floating *>buf.acts[0]) + r0 * nf
                for r in range(nrows):
                    memcpy(gathered + r * nf, dense + rows[start + r0 + r] * nf,
                           nf * sizeof(floating))
                if not _own(net, 0, FM_FORWARD, params):
                    a_in = gathered
                    a_rows = NULL
        else:
            # Hidden layer i after dropout, if any.
            a_in = _at(<floating *>(buf.dropped[i] if buf.dropped[i] != NULL
                                    else buf.acts[i]), r0 * fan_in)
        if _own(net, i, FM_FORWARD, params):
            gemm_args(&g, False, nrows, fan_out, fan_in, a_in, fan_in, a_rows,
                       z, fan_out, False)
            g.epi = <fm_epilogue_t>(_forward_rows_s if floating is float
                                    else _forward_rows_d)
            g.ctx = &epi
            g.pack = buf.pack
            own_gemm(&g, False, W, fan_out)
        else:
            gemm_rm(False, False, nrows, fan_out, fan_in, <floating>1.0, a_in,
                    fan_in, W, fan_out, <floating>0.0, z, fan_out)
            _forward_rows(&epi, params, 0, nrows)


cdef double _forward_loss(const Net *net, const Data *data, const Batch *batch,
                          Py_ssize_t r0, Py_ssize_t r1, const floating *params,
                          Buffers *buf, double *sw_sum, double *row_loss) noexcept nogil:
    """The forward part of _forward_backward: activations, loss and output
    delta (buf.deltas[L - 1], (batch.n, units[L])) of rows r0..r1 of `batch`,
    against data.Y (n, units[L]) weighted by data.SW (n,).  Returns
    sum_r sw_r loss_r over these rows and adds their weights to sw_sum[0];
    unless row_loss is NULL, also writes each row's sw_r loss_r to
    row_loss[r] (row_loss: (batch.n,)), so that a sum over the whole batch can
    be made in row order whichever thread took which rows."""
    cdef const Py_ssize_t *rows = batch.rows
    cdef Py_ssize_t start = batch.start
    cdef Py_ssize_t r, L = net.n_weights, nrows = r1 - r0
    cdef Py_ssize_t n_out = net.units[L]
    cdef const floating *Y = <const floating *>data.Y
    cdef const floating *SW = <const floating *>data.SW
    cdef const floating *y
    cdef const floating *sw
    cdef floating *ybuf
    cdef floating *swbuf
    cdef floating *p
    cdef floating *delta
    cdef double wsum = 0.0, total = 0.0
    if nrows <= 0:
        return 0.0
    _forward(net, data, batch, r0, r1, params, buf, <floating *>buf.acts[L])

    if rows == NULL:
        y = Y + (start + r0) * n_out
        sw = SW + start + r0
    else:
        ybuf = (<floating *>buf.ybuf) + r0 * n_out
        swbuf = (<floating *>buf.swbuf) + r0
        for r in range(nrows):
            memcpy(ybuf + r * n_out, Y + rows[start + r0 + r] * n_out,
                   n_out * sizeof(floating))
            swbuf[r] = SW[rows[start + r0 + r]]
        y = ybuf
        sw = swbuf
    for r in range(nrows):
        wsum += sw[r]
    sw_sum[0] += wsum

    p = (<floating *>buf.acts[L]) + r0 * n_out
    delta = (<floating *>buf.deltas[L - 1]) + r0 * n_out
    if row_loss == NULL:
        return _loss_delta(p, y, sw, delta, nrows, n_out, net.loss, net.act[L - 1],
                           net.loss_param)
    for r in range(nrows):
        # One row per call: the same sum, term by term, as a call over all rows.
        row_loss[r0 + r] = _loss_delta(p + r * n_out, y + r * n_out, sw + r,
                                       delta + r * n_out, 1, n_out, net.loss,
                                       net.act[L - 1], net.loss_param)
        total += row_loss[r0 + r]
    return total


cdef double _forward_backward(const Net *net, const Data *data, const Batch *batch,
                              Py_ssize_t r0, Py_ssize_t r1, const floating *params,
                              Buffers *buf, double *sw_sum,
                              double *row_loss) noexcept nogil:
    """Forward and backward of rows r0..r1 of `batch` (see _forward): the
    activations, the loss and output delta, and the deltas of every hidden layer
    (buf.deltas[i], (batch.n, units[i + 1])).  Returns sum_r sw_r loss_r over
    these rows and adds their weights to sw_sum[0] (row_loss: see
    _forward_loss)."""
    cdef Py_ssize_t i, L = net.n_weights, nrows = r1 - r0
    cdef Py_ssize_t fan_in, fan_out
    cdef floating *d
    cdef floating *d_prev
    cdef DeltaRows epi
    cdef fm_gemm_args g
    cdef double loss = _forward_loss(net, data, batch, r0, r1, params, buf, sw_sum,
                                     row_loss)
    if nrows <= 0:
        return 0.0
    for i in range(L - 1, 0, -1):
        fan_in = net.units[i]
        fan_out = net.units[i + 1]
        d = (<floating *>buf.deltas[i]) + r0 * fan_out
        d_prev = (<floating *>buf.deltas[i - 1]) + r0 * fan_in
        epi.d = d_prev
        epi.mask = _at(<floating *>buf.masks[i], r0 * fan_in)
        epi.a = _at(<floating *>buf.acts[i], r0 * fan_in)
        epi.z = _at(<floating *>buf.zs[i], r0 * fan_in)
        epi.act = net.act[i - 1]
        epi.width = fan_in
        if _own(net, i, FM_DELTA, params):
            gemm_args(&g, False, nrows, fan_in, fan_out, d, fan_out, NULL, d_prev,
                       fan_in, False)
            g.epi = <fm_epilogue_t>(_delta_rows_s if floating is float
                                    else _delta_rows_d)
            g.ctx = &epi
            g.pack = buf.pack
            own_gemm(&g, True, params + net.coef_off[i], fan_out)
        else:
            gemm_rm(False, True, nrows, fan_in, fan_out, <floating>1.0, d, fan_out,
                    params + net.coef_off[i], fan_out, <floating>0.0, d_prev, fan_in)
            _delta_rows(&epi, params, 0, nrows)
    return loss


cdef void _weight_gradient(const Net *net, const Data *data, const Batch *batch,
                           const Buffers *buf, const GradientBlock *block,
                           floating *grad, bint accumulate) noexcept nogil:
    """Rows block.c0..c1 of layer block.layer's *unscaled* coefficient gradient
    A_i^T delta_i ((units[i], units[i + 1]) in the flat gradient `grad`) and,
    with block.intercepts, its unscaled intercept gradient (the column sums of
    delta_i, taken in the same pass on the own kernels), written (or added,
    when `accumulate`) from the batch's activations and deltas (all batch.n
    rows, left by _forward_backward).  On the own kernels the first layer reads
    X's rows through the batch index."""
    cdef const Input *X = &data.X
    cdef const Py_ssize_t *rows = batch.rows
    cdef Py_ssize_t start = batch.start, nrows = batch.n
    cdef Py_ssize_t i = block.layer, c0 = block.c0, c1 = block.c1
    cdef Py_ssize_t r, p, src, col
    cdef Py_ssize_t fan_in = net.units[i], fan_out = net.units[i + 1]
    cdef const floating *a_in
    cdef const floating *values = <const floating *>X.data
    cdef const Py_ssize_t *a_rows = NULL
    cdef floating *d = <floating *>buf.deltas[i]
    cdef floating *gW = grad + net.coef_off[i]
    cdef floating *gb = grad + net.icpt_off[i]
    cdef floating beta = 1.0 if accumulate else 0.0
    cdef fm_gemm_args g
    cdef bint summed = False     # the intercept gradient taken by the own kernel
    if block.intercepts and not accumulate:
        memset(gb, 0, fan_out * sizeof(floating))
    if c1 > c0 and i == 0 and values != NULL:
        if not accumulate:
            memset(gW + c0 * fan_out, 0, (c1 - c0) * fan_out * sizeof(floating))
        for r in range(nrows):
            src = _row(rows, start + r)
            for p in range(X.indptr[src], X.indptr[src + 1]):
                col = X.indices[p]
                if c0 <= col < c1:
                    axpy(fan_out, values[p], d + r * fan_out, gW + col * fan_out)
    elif c1 > c0:
        if i == 0:
            if rows == NULL:
                a_in = (<const floating *>X.dense) + start * fan_in
            elif _own(net, 0, FM_WEIGHT_GRAD, grad):
                a_in = <const floating *>X.dense
                a_rows = rows + start
            else:
                a_in = <const floating *>buf.acts[0]
        else:
            # Hidden layer i after dropout, if any.
            a_in = <const floating *>(buf.dropped[i] if buf.dropped[i] != NULL
                                         else buf.acts[i])
        if _own(net, i, FM_WEIGHT_GRAD, grad):
            gemm_args(&g, True, c1 - c0, fan_out, nrows, a_in + c0, fan_in, a_rows,
                      gW + c0 * fan_out, fan_out, accumulate)
            if block.intercepts:
                g.colsum = gb
                summed = True
            g.pack = buf.pack
            own_gemm(&g, False, d, fan_out)
        else:
            gemm_rm(True, False, c1 - c0, fan_out, nrows, <floating>1.0, a_in + c0,
                    fan_in, d, fan_out, beta, gW + c0 * fan_out, fan_out)
    if block.intercepts and not summed:
        _colsum_add(d, gb, nrows, fan_out)


cdef double _gradient_chunk(const Net *net, const Data *data, const Batch *chunk,
                            const floating *params, Buffers *buf, floating *grad,
                            bint accumulate, double *sw_sum) noexcept nogil:
    """Forward and backward over the rows of `chunk` (contiguous rows of data,
    no dropout) on one thread: writes (or adds) the unscaled data gradient
    sum_r sw_r dloss_r/dparams into `grad` (n_params,), returns
    sum_r sw_r loss_r and adds sum_r sw_r to sw_sum[0]."""
    cdef double loss = _forward_backward(net, data, chunk, 0, chunk.n, params, buf,
                                         sw_sum, NULL)
    cdef GradientBlock block
    cdef Py_ssize_t i
    for i in range(net.n_weights):
        block.layer = i
        block.c0 = 0
        block.c1 = net.units[i]
        block.intercepts = True
        _weight_gradient(net, data, chunk, buf, &block, grad, accumulate)
    return loss


cdef double _score_chunk(const Net *net, const Data *data, const Batch *chunk,
                         const floating *params, Buffers *buf, double *sw_sum,
                         Scoring *score) noexcept nogil:
    """The forward pass of _gradient_chunk (same loss, bit for bit) with, in
    place of the gradient, the chunk's rows scored by score.rule (see
    fm_score_rows): adds to score.sums, writes score.correct[row] for the class
    rules and clears score.finite when an output is not finite."""
    cdef Py_ssize_t L = net.n_weights, n_out = net.units[L], start = chunk.start
    cdef double loss = _forward_loss(net, data, chunk, 0, chunk.n, params, buf, sw_sum,
                                     NULL)
    if not _score_rows(<floating *>buf.acts[L], (<const floating *>data.Y) + start * n_out,
                       (<const floating *>data.SW) + start, chunk.n, n_out, score.rule,
                       score.sums, _at(<floating *>score.correct, start)):
        score.finite = False
    return loss
