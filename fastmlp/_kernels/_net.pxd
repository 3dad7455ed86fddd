# The network: its description (Net, NetSpec), what the engine reads of a data
# set (Data) and of a block of its rows (Batch), the workspace of such a block,
# forward and backward passes over it.
#
# Layering: above _blas.pxd (GEMM, axpy) and _elementwise.pxd
# (csrc/elementwise.h); called by _engine's thread-team drivers.  _optim uses
# the Net struct only.

from cython cimport floating
from libc.stdint cimport uint64_t


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
    # own_d[3 * i + op], own_s[...]: product op (_gemm.FORWARD, DELTA,
    # WEIGHT_GRAD) of weight layer i runs on the own kernels (1) or BLAS (0),
    # for float64 and float32 data
    const unsigned char *own_d
    const unsigned char *own_s


cdef class NetSpec:
    cdef readonly object layout, units, coef_off, icpt_off, act_codes, dropout_rates
    cdef readonly object own_d, own_s
    cdef readonly Py_ssize_t n_params
    cdef public object last_network   # _engine.network's one-entry cache
    cdef Net net


cdef struct Input:
    # X: dense (n, n_features) C-contiguous when data is NULL, CSR otherwise.
    const void *dense
    const void *data
    const Py_ssize_t *indices
    const Py_ssize_t *indptr
    Py_ssize_t n_features


cdef struct Data:
    # What the engine reads of a data set (_engine.Dataset): X, and for training
    # and scoring the targets Y (n, units[L]) and sample weights SW (n,), all in
    # the network's dtype (Y and SW NULL for prediction).
    Input X
    const void *Y
    const void *SW
    Py_ssize_t n


cdef struct Batch:
    # A block of rows of a Data: row r is sample rows[start + r] (or start + r
    # when rows is NULL), r = 0..n-1; rng is the dropout stream's state at row 0.
    const Py_ssize_t *rows
    Py_ssize_t start
    Py_ssize_t n
    uint64_t rng


cdef struct GradientBlock:
    # Coefficient rows c0..c1 of weight layer `layer` (and, with `intercepts`,
    # the layer's intercepts): a piece of the gradient computed on its own.
    Py_ssize_t layer
    Py_ssize_t c0
    Py_ssize_t c1
    bint intercepts


cdef struct Scoring:
    # What a validation pass computes besides the loss (see fm_score_rows).
    int rule           # a score rule code (csrc/codes.h)
    double *sums       # score sums (accumulated)
    void *correct      # per row of the data: 1 where predicted right (class rules), or NULL
    bint finite        # cleared when an output is not finite


# Workspace: per chunk of rows, the gathered input, every layer's activations,
# pre-activations where a derivative needs them, dropout masks and dropped
# activations (training), deltas and the gathered targets and weights.
cdef struct Buffers:
    void **acts      # acts[i], i = 0..L: layer i's values (acts[0]: gathered X)
    void **zs        # zs[i]: pre-activations of layer i, or NULL
    void **masks     # masks[i]: dropout mask of hidden layer i, or NULL
    void **dropped   # dropped[i]: acts[i] * masks[i], or NULL
    void **deltas    # deltas[i], i = 0..L-1: dloss/dz of weight layer i's output
    void *ybuf
    void *swbuf
    void *pack       # the own kernels' copy of a layer's weights (_pack_elems)


cdef Py_ssize_t _workspace_size(const Net *net, Py_ssize_t chunk, bint gather,
                                bint backward, bint dropout) noexcept nogil
cdef Py_ssize_t _pack_elems(const Net *net, bint backward) noexcept nogil
cdef int _alloc_buffers(Buffers *buf, Py_ssize_t L) except -1
cdef void _carve_workspace(const Net *net, floating *ws, Py_ssize_t chunk, bint gather,
                           bint backward, bint dropout, Buffers *buf) noexcept nogil
cdef Py_ssize_t _dropout_width(const Net *net) noexcept nogil

cdef void _forward(const Net *net, const Data *data, const Batch *batch,
                   Py_ssize_t r0, Py_ssize_t r1, const floating *params, Buffers *buf,
                   floating *out) noexcept nogil
cdef double _forward_backward(const Net *net, const Data *data, const Batch *batch,
                              Py_ssize_t r0, Py_ssize_t r1, const floating *params,
                              Buffers *buf, double *sw_sum,
                              double *row_loss) noexcept nogil
cdef void _weight_gradient(const Net *net, const Data *data, const Batch *batch,
                           const Buffers *buf, const GradientBlock *block,
                           floating *grad, bint accumulate) noexcept nogil
cdef double _gradient_chunk(const Net *net, const Data *data, const Batch *chunk,
                            const floating *params, Buffers *buf, floating *grad,
                            bint accumulate, double *sw_sum) noexcept nogil
cdef double _score_chunk(const Net *net, const Data *data, const Batch *chunk,
                         const floating *params, Buffers *buf, double *sw_sum,
                         Scoring *score) noexcept nogil
