# Own small-GEMM kernels (csrc/gemm_kernels.h; their contract in csrc/gemm.h) for
# the engine: declarations other modules cimport.  The kernels themselves are
# compiled into _gemm only, so one variant (instruction set) is in use per process.
#
# Layering: below _net (forward, delta and weight-gradient products of a block
# of rows); beside _blas, which it replaces product by product (NetSpec's
# per-layer choice, _gemm.choose).

from cython cimport floating

cdef extern from "gemm.h" nogil:
    # The products of a layer (FM_N_OPS of them), one definition for the kernels,
    # the engine and the rule of _gemm.choose.
    ctypedef enum fm_op:
        FM_FORWARD
        FM_DELTA
        FM_WEIGHT_GRAD
        FM_N_OPS
    # A multiple of every variant's tile rows: row blocks that start at multiples
    # of it fall into whole register tiles.
    enum: FM_ROW_TILE
    ctypedef void (*fm_epilogue_t)(void *ctx, Py_ssize_t i0, Py_ssize_t i1) noexcept nogil
    ctypedef struct fm_gemm_args:
        int trans_a
        Py_ssize_t m, n, k
        const void *a
        Py_ssize_t lda
        const Py_ssize_t *rows
        int accumulate
        void *c
        Py_ssize_t ldc
        void *colsum
        fm_epilogue_t epi
        void *ctx
        void *pack
    Py_ssize_t fm_gemm_pack_elems(bint trans_a, bint trans_b, bint colsum, Py_ssize_t n,
                                  Py_ssize_t k, size_t size)
    Py_ssize_t fm_gemm_op_pack_elems(fm_op op, Py_ssize_t fan_in, Py_ssize_t fan_out,
                                     size_t size)

cdef void gemm_own_d(const fm_gemm_args *g, bint trans_b, const double *b,
                     Py_ssize_t ldb) noexcept nogil
cdef void gemm_own_s(const fm_gemm_args *g, bint trans_b, const float *b,
                     Py_ssize_t ldb) noexcept nogil


cdef inline void own_gemm(fm_gemm_args *g, bint trans_b, const floating *b,
                          Py_ssize_t ldb) noexcept nogil:
    """C (m, n) = op(A) B (+ C) on the own kernels for g (csrc/gemm.h): B (k, n)
    at b, or B^T (n, k) when trans_b, leading dimension ldb."""
    if floating is float:
        gemm_own_s(g, trans_b, b, ldb)
    else:
        gemm_own_d(g, trans_b, b, ldb)


cdef inline void gemm_args(fm_gemm_args *g, bint trans_a, Py_ssize_t m, Py_ssize_t n,
                           Py_ssize_t k, const void *a, Py_ssize_t lda,
                           const Py_ssize_t *rows, void *c, Py_ssize_t ldc,
                           bint accumulate) noexcept nogil:
    """g for C (m, n) = op(A) B (+ C when accumulate): A (m, k) at a, or A^T
    (k, m) when trans_a, rows through `rows` (or NULL), leading dimension lda;
    C at c (ldc); no column sums, no epilogue and no pack buffer (set g.pack
    where fm_gemm_pack_elems is not 0)."""
    g.trans_a = trans_a
    g.m = m
    g.n = n
    g.k = k
    g.a = a
    g.lda = lda
    g.rows = rows
    g.accumulate = accumulate
    g.c = c
    g.ldc = ldc
    g.colsum = NULL
    g.epi = NULL
    g.ctx = NULL
    g.pack = NULL
