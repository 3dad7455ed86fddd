# The elementwise kernels of csrc/elementwise.h for the training dtype.
#
# Layering: like _blas.pxd, inline `noexcept nogil` wrappers only (no module of
# its own), each picking the kernel's float or double instance; used by _net
# (forward and backward passes, validation scores) and _engine (the full-batch
# gradient's sum, prediction's input check and the Python-callable twins).

from cython cimport floating
from libc.stdint cimport uint64_t

cdef extern from "elementwise.h" nogil:
    bint fm_needs_z(int act)
    uint64_t fm_rng_skip(uint64_t state, uint64_t draws)
    void fm_bias_act_d(const double *z, const double *b, double *out, Py_ssize_t rows,
                       Py_ssize_t cols, int act)
    void fm_bias_act_s(const float *z, const float *b, float *out, Py_ssize_t rows,
                       Py_ssize_t cols, int act)
    void fm_add_bias_d(double *z, const double *b, Py_ssize_t rows, Py_ssize_t cols)
    void fm_add_bias_s(float *z, const float *b, Py_ssize_t rows, Py_ssize_t cols)
    void fm_act_deriv_d(const double *a, const double *z, double *delta, Py_ssize_t n,
                        int act)
    void fm_act_deriv_s(const float *a, const float *z, float *delta, Py_ssize_t n,
                        int act)
    double fm_loss_delta_d(const double *p, const double *y, const double *sw,
                           double *delta, Py_ssize_t rows, Py_ssize_t cols, int loss,
                           int out_act, double param)
    double fm_loss_delta_s(const float *p, const float *y, const float *sw,
                           float *delta, Py_ssize_t rows, Py_ssize_t cols, int loss,
                           int out_act, double param)
    void fm_colsum_add_d(const double *d, double *out, Py_ssize_t rows, Py_ssize_t cols)
    void fm_colsum_add_s(const float *d, float *out, Py_ssize_t rows, Py_ssize_t cols)
    void fm_add_vec_d(double *y, const double *x, Py_ssize_t n)
    void fm_add_vec_s(float *y, const float *x, Py_ssize_t n)
    bint fm_all_finite_d(const double *x, Py_ssize_t n)
    bint fm_all_finite_s(const float *x, Py_ssize_t n)
    bint fm_score_rows_d(const double *p, const double *y, const double *sw,
                         Py_ssize_t rows, Py_ssize_t cols, int rule, double *sums,
                         double *correct)
    bint fm_score_rows_s(const float *p, const float *y, const float *sw,
                         Py_ssize_t rows, Py_ssize_t cols, int rule, double *sums,
                         float *correct)
    void fm_dropout_d(const double *a, double *mask, double *dropped, Py_ssize_t n,
                      double rate, uint64_t *rng)
    void fm_dropout_s(const float *a, float *mask, float *dropped, Py_ssize_t n,
                      double rate, uint64_t *rng)


cdef inline void _bias_act(const floating *z, const floating *b, floating *out,
                           Py_ssize_t rows, Py_ssize_t cols, int act) noexcept nogil:
    if floating is float:
        fm_bias_act_s(z, b, out, rows, cols, act)
    else:
        fm_bias_act_d(z, b, out, rows, cols, act)


cdef inline void _add_bias(floating *z, const floating *b, Py_ssize_t rows,
                           Py_ssize_t cols) noexcept nogil:
    if floating is float:
        fm_add_bias_s(z, b, rows, cols)
    else:
        fm_add_bias_d(z, b, rows, cols)


cdef inline void _act_deriv(const floating *a, const floating *z, floating *delta,
                            Py_ssize_t n, int act) noexcept nogil:
    if floating is float:
        fm_act_deriv_s(a, z, delta, n, act)
    else:
        fm_act_deriv_d(a, z, delta, n, act)


cdef inline double _loss_delta(const floating *p, const floating *y, const floating *sw,
                               floating *delta, Py_ssize_t rows, Py_ssize_t cols,
                               int loss, int out_act, double param) noexcept nogil:
    if floating is float:
        return fm_loss_delta_s(p, y, sw, delta, rows, cols, loss, out_act, param)
    else:
        return fm_loss_delta_d(p, y, sw, delta, rows, cols, loss, out_act, param)


cdef inline void _colsum_add(const floating *d, floating *out, Py_ssize_t rows,
                             Py_ssize_t cols) noexcept nogil:
    if floating is float:
        fm_colsum_add_s(d, out, rows, cols)
    else:
        fm_colsum_add_d(d, out, rows, cols)


cdef inline void _add_vec(floating *y, const floating *x, Py_ssize_t n) noexcept nogil:
    if floating is float:
        fm_add_vec_s(y, x, n)
    else:
        fm_add_vec_d(y, x, n)


cdef inline bint _all_finite(const floating *x, Py_ssize_t n) noexcept nogil:
    if floating is float:
        return fm_all_finite_s(x, n)
    else:
        return fm_all_finite_d(x, n)


cdef inline void _dropout(const floating *a, floating *mask, floating *dropped,
                          Py_ssize_t n, double rate, uint64_t *rng) noexcept nogil:
    if floating is float:
        fm_dropout_s(a, mask, dropped, n, rate, rng)
    else:
        fm_dropout_d(a, mask, dropped, n, rate, rng)


cdef inline bint _score_rows(const floating *p, const floating *y, const floating *sw,
                             Py_ssize_t rows, Py_ssize_t cols, int rule, double *sums,
                             floating *correct) noexcept nogil:
    if floating is float:
        return fm_score_rows_s(p, y, sw, rows, cols, rule, sums, correct)
    else:
        return fm_score_rows_d(p, y, sw, rows, cols, rule, sums, correct)
