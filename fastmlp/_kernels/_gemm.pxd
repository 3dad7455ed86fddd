# Own small-GEMM kernels (csrc/gemm_kernels.h) for the engine: declarations
# other modules cimport.  The kernels themselves are compiled into _gemm only,
# so one variant (instruction set) is in use per process.
#
# Layering: below _net (forward, delta and weight-gradient products of a block
# of rows); beside _blas, which it replaces product by product (NetSpec's
# per-layer choice, _gemm.choose).

cdef extern from "gemm.h" nogil:
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

cdef void gemm_own_d(const fm_gemm_args *g, bint trans_b, const double *b,
                     Py_ssize_t ldb) noexcept nogil
cdef void gemm_own_s(const fm_gemm_args *g, bint trans_b, const float *b,
                     Py_ssize_t ldb) noexcept nogil
