# The network: its description (Net, NetSpec), the workspace of a block of
# rows, forward and backward passes over such a block.
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
    cdef readonly object units, coef_off, icpt_off, act_codes, dropout_rates
    cdef readonly object own_d, own_s
    cdef Net net


cdef struct Input:
    # Dense X (C-contiguous) when data is NULL, CSR otherwise.
    const void *dense
    const void *data
    const Py_ssize_t *indices
    const Py_ssize_t *indptr
    Py_ssize_t n_features


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

cdef void _forward(const Net *net, const Input *X, const Py_ssize_t *rows,
                   Py_ssize_t start, Py_ssize_t r0, Py_ssize_t r1, Py_ssize_t batch_rows,
                   const floating *params, Buffers *buf, floating *out,
                   uint64_t rng) noexcept nogil
cdef double _rows_pass(const Net *net, const Input *X, const floating *Y,
                       const floating *SW, const Py_ssize_t *rows, Py_ssize_t start,
                       Py_ssize_t r0, Py_ssize_t r1, Py_ssize_t batch_rows,
                       const floating *params, Buffers *buf, double *sw_sum,
                       uint64_t rng) noexcept nogil
cdef void _grad_block(const Net *net, const Input *X, const Py_ssize_t *rows,
                      Py_ssize_t start, Py_ssize_t nrows, Buffers *buf,
                      floating *grad, bint accumulate, Py_ssize_t i,
                      Py_ssize_t c0, Py_ssize_t c1, bint intercepts) noexcept nogil
cdef double _loss_grad_chunk(const Net *net, const Input *X, const floating *Y,
                             const floating *SW, Py_ssize_t start, Py_ssize_t nrows,
                             const floating *params, floating *grad,
                             bint accumulate, Buffers *buf, double *sw_sum) noexcept nogil
cdef double _loss_score_chunk(const Net *net, const Input *X, const floating *Y,
                              const floating *SW, Py_ssize_t start, Py_ssize_t nrows,
                              const floating *params, Buffers *buf, double *sw_sum,
                              int rule, double *sums, floating *correct,
                              bint *finite) noexcept nogil
