# Thin row-major BLAS layer over scipy.linalg.cython_blas.
#
# Layering: inline `noexcept nogil` wrappers here (used by the engine), `cpdef`
# twins in _blas.pyx (used by tests). A C-contiguous (m x n) array is a
# column-major (n x m) one, so a row-major product C = op(A) op(B) is computed as
# the column-major product C^T = op(B)^T op(A)^T: swap the operands, keep flags.

from cython cimport floating
from scipy.linalg.cython_blas cimport sgemm, dgemm, saxpy, daxpy


cdef inline void gemm_rm(bint trans_a, bint trans_b, Py_ssize_t m, Py_ssize_t n,
                         Py_ssize_t k, floating alpha, const floating *a, Py_ssize_t lda,
                         const floating *b, Py_ssize_t ldb, floating beta,
                         floating *c, Py_ssize_t ldc) noexcept nogil:
    """C (m x n, row-major, leading dim ldc) = alpha op(A) op(B) + beta C."""
    cdef char ta = b'T' if trans_a else b'N'
    cdef char tb = b'T' if trans_b else b'N'
    cdef int im = <int>m, in_ = <int>n, ik = <int>k
    cdef int ilda = <int>lda, ildb = <int>ldb, ildc = <int>ldc
    cdef Py_ssize_t i, j
    if m <= 0 or n <= 0:
        return
    if k <= 0:
        # BLAS would only scale C; do it here and avoid lda/ldb corner cases.
        for i in range(m):
            for j in range(n):
                c[i * ldc + j] = 0 if beta == 0 else beta * c[i * ldc + j]
        return
    if floating is float:
        sgemm(&tb, &ta, &in_, &im, &ik, &alpha, <float *>b, &ildb,
              <float *>a, &ilda, &beta, c, &ildc)
    else:
        dgemm(&tb, &ta, &in_, &im, &ik, &alpha, <double *>b, &ildb,
              <double *>a, &ilda, &beta, c, &ildc)


cdef inline void axpy(Py_ssize_t n, floating alpha, const floating *x,
                      floating *y) noexcept nogil:
    """y += alpha x (contiguous vectors)."""
    cdef int in_ = <int>n, one = 1
    if n <= 0:
        return
    if floating is float:
        saxpy(&in_, &alpha, <float *>x, &one, y, &one)
    else:
        daxpy(&in_, &alpha, <double *>x, &one, y, &one)
