# cython: language_level=3
"""Python-callable twins of the inline BLAS wrappers, for tests."""

from cython cimport floating
from ._blas cimport gemm_rm, axpy


cpdef void gemm(bint trans_a, bint trans_b, double alpha,
                const floating[:, ::1] a, const floating[:, ::1] b,
                double beta, floating[:, ::1] c):
    """C = alpha op(A) op(B) + beta C on C-contiguous 2-D arrays."""
    cdef Py_ssize_t m = a.shape[1] if trans_a else a.shape[0]
    cdef Py_ssize_t k = a.shape[0] if trans_a else a.shape[1]
    cdef Py_ssize_t kb = b.shape[1] if trans_b else b.shape[0]
    cdef Py_ssize_t n = b.shape[0] if trans_b else b.shape[1]
    if kb != k or c.shape[0] != m or c.shape[1] != n:
        raise ValueError(
            f"gemm: incompatible shapes op(A)=({m}, {k}), op(B)=({kb}, {n}), "
            f"C=({c.shape[0]}, {c.shape[1]})")
    with nogil:
        gemm_rm(trans_a, trans_b, m, n, k, <floating>alpha,
                &a[0, 0] if a.shape[0] * a.shape[1] > 0 else NULL, max(a.shape[1], 1),
                &b[0, 0] if b.shape[0] * b.shape[1] > 0 else NULL, max(b.shape[1], 1),
                <floating>beta, &c[0, 0] if m * n > 0 else NULL, max(n, 1))


cpdef void axpy_vec(double alpha, const floating[::1] x, floating[::1] y):
    """y += alpha x."""
    if x.shape[0] != y.shape[0]:
        raise ValueError("axpy: x and y differ in length")
    if x.shape[0] == 0:
        return
    with nogil:
        axpy(x.shape[0], <floating>alpha, &x[0], &y[0])
