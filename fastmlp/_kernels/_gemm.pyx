# cython: language_level=3
"""fastmlp's own small-GEMM kernels (csrc/gemm_kernels.h) and the rule that
chooses, per layer and product, between them and OpenBLAS.

Layering:
  * csrc/gemm.h           the kernels' contract: operands, forms, tiles and
                          register budgets per variant, the products of a layer
  * csrc/gemm_kernels.h   register-blocked products with fused row epilogues
                          and column sums, per instruction set
  * gemm_own_d/_s         the engine's entry (cimported by _net)
  * choose                which products of a network use them (NetSpec)
  * product, isa, ...     Python-callable twins for tests and benchmarks
"""

import os

from cython cimport floating
from libc.string cimport memcpy
from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_RECORDS_RO

from ._blas cimport gemm_rm
from ._elementwise cimport _colsum_add

import numpy as np


cdef extern from "gemm_kernels.h" nogil:
    int FM_ISA_GENERIC, FM_ISA_AVX2, FM_ISA_AVX512, FM_ISA_NEON
    int fm_gemm_vector_bytes(int isa)
    int fm_gemm_isa()
    int fm_gemm_set_isa(int isa)
    int fm_gemm_supported(int isa)
    void fm_gemm_d(const fm_gemm_args *g, int trans_b, const double *b, Py_ssize_t ldb)
    void fm_gemm_s(const fm_gemm_args *g, int trans_b, const float *b, Py_ssize_t ldb)


cdef void gemm_own_d(const fm_gemm_args *g, bint trans_b, const double *b,
                     Py_ssize_t ldb) noexcept nogil:
    # C (m, n) = op(A) B for g, B (k, n) at b, or B^T (n, k) when trans_b
    fm_gemm_d(g, trans_b, b, ldb)


cdef void gemm_own_s(const fm_gemm_args *g, bint trans_b, const float *b,
                     Py_ssize_t ldb) noexcept nogil:
    fm_gemm_s(g, trans_b, b, ldb)


_ISA_NAMES = {FM_ISA_GENERIC: "generic", FM_ISA_AVX2: "avx2", FM_ISA_AVX512: "avx512",
              FM_ISA_NEON: "neon"}
_ISA_CODES = {name: code for code, name in _ISA_NAMES.items()}


def isa():
    """The instruction set the own kernels use now: "avx512", "avx2" or "generic"."""
    return _ISA_NAMES[fm_gemm_isa()]


def supported_isas():
    """The instruction sets this CPU runs, widest first."""
    return tuple(name for code, name in sorted(_ISA_NAMES.items(), reverse=True)
                 if fm_gemm_supported(code))


def set_isa(name):
    """Make the own kernels use instruction set `name` from now on (tests and
    benchmarks); returns the previous one."""
    if name not in _ISA_CODES:
        raise ValueError(f"unknown instruction set {name!r}; "
                         f"expected one of {sorted(_ISA_CODES)}")
    previous = isa()
    if fm_gemm_set_isa(_ISA_CODES[name]) != 0:
        raise ValueError(f"this CPU cannot run the {name!r} kernels; "
                         f"it supports {supported_isas()}")
    return previous


# ----------------------------------------------------------------------
# Which products use the own kernels
# ----------------------------------------------------------------------
KERNEL_MODES = ("auto", "own", "blas")


def kernel_mode():
    """FASTMLP_KERNELS: "auto" (default: the rule of `choose`), "own" or
    "blas" (every product on that side; for tests and benchmarks)."""
    mode = os.environ.get("FASTMLP_KERNELS", "auto").strip().lower() or "auto"
    if mode not in KERNEL_MODES:
        raise ValueError(f"FASTMLP_KERNELS={mode!r} is not one of {KERNEL_MODES}")
    return mode


# The products of a layer (csrc/gemm.h's fm_op) and the row tile, for Python.
FORWARD, DELTA, WEIGHT_GRAD = FM_FORWARD, FM_DELTA, FM_WEIGHT_GRAD
ROW_TILE = FM_ROW_TILE


cdef bint _choose(int op, Py_ssize_t k, Py_ssize_t n, Py_ssize_t itemsize,
                  int vector_bytes) noexcept nogil:
    cdef Py_ssize_t weight_bytes = k * n * itemsize
    if vector_bytes < 32:
        return False    # the portable loops, and NEON (no measurements): OpenBLAS
    if vector_bytes == 32:
        return weight_bytes <= 64 * 1024
    if op == FM_DELTA:
        return weight_bytes <= 256 * 1024
    if weight_bytes > 1024 * 1024:
        return False
    return n * itemsize >= vector_bytes


def choose(op, k, n, itemsize, mode=None):
    """Whether product `op` (FORWARD, DELTA or WEIGHT_GRAD: csrc/gemm.h's fm_op)
    of a layer with k inputs and n outputs, elements of `itemsize` bytes, runs
    on the own kernels; `mode` is one of KERNEL_MODES (None: kernel_mode()).

    The rule of mode "auto", per variant of the own kernels in use:
      * AVX-512: the own kernels, except for FORWARD and WEIGHT_GRAD when the
        n columns fill less than one vector (each tile row would be one partly
        empty vector) or the weights exceed 1 MiB, and for DELTA when they
        exceed 256 KiB (the delta first copies them transposed): then a strip
        of rows streams the weights from memory, where OpenBLAS's packed
        blocks stay in cache;
      * AVX2 + FMA: the own kernels for weights up to 64 KiB;
      * the portable variant and NEON (no measurements yet): never.
    The limits are measured per variant with benchmarks/kernels.py against
    the OpenBLAS kernels a CPU of that kind gets (see the documentation's
    performance page).  The rule depends on the layer's shape, never on the
    number of rows, so a layer's products are the same in training and
    prediction at any batch or chunk size."""
    mode = kernel_mode() if mode is None else mode
    if mode != "auto":
        return mode == "own"
    return bool(_choose(op, k, n, itemsize, fm_gemm_vector_bytes(fm_gemm_isa())))


def layer_choices(const Py_ssize_t[::1] units, mode):
    """choose() for every product of every weight layer of a network with
    layer widths `units`: (own_d, own_s), uint8 arrays indexed
    FM_N_OPS * layer + op, for float64 and float32 data."""
    cdef Py_ssize_t i, op, j, n_weights = units.shape[0] - 1
    cdef int vector_bytes = fm_gemm_vector_bytes(fm_gemm_isa())
    own_d = np.empty(FM_N_OPS * n_weights, dtype=np.uint8)
    own_s = np.empty(FM_N_OPS * n_weights, dtype=np.uint8)
    cdef unsigned char[::1] d = own_d, s = own_s
    if mode not in KERNEL_MODES:
        raise ValueError(f"kernels={mode!r} is not one of {KERNEL_MODES}")
    for i in range(n_weights):
        for op in range(FM_N_OPS):
            j = FM_N_OPS * i + op
            if mode == "auto":
                d[j] = _choose(op, units[i], units[i + 1], 8, vector_bytes)
                s[j] = _choose(op, units[i], units[i + 1], 4, vector_bytes)
            else:
                d[j] = s[j] = mode == "own"
    return own_d, own_s


# ----------------------------------------------------------------------
# Python-callable product (tests, benchmarks)
# ----------------------------------------------------------------------
cdef Py_ssize_t _leading(arr, name) except -1:
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got {arr.ndim}-D")
    if arr.size and arr.shape[1] > 1 and arr.strides[1] != arr.itemsize:
        raise ValueError(f"{name} must have unit stride along its last axis")
    if arr.size == 0 or arr.shape[0] <= 1:
        return max(arr.shape[1], 1)
    if arr.strides[0] % arr.itemsize or arr.strides[0] < arr.shape[1] * arr.itemsize:
        raise ValueError(f"{name} must have a row stride of at least its width")
    return arr.strides[0] // arr.itemsize


cdef void _product(const fm_gemm_args *g, bint trans_b, const floating *b,
                   Py_ssize_t ldb, bint own, floating *scratch) noexcept nogil:
    # C (m, n) = op(A) op(B) (+ C when g.accumulate): A (m, k), or (k, m) when
    # g.trans_a, its stored rows through g.rows (or NULL); B (k, n), or (n, k) when
    # trans_b; g.colsum (n) += the column sums of op(B), unless NULL.  scratch: the
    # own kernels' pack buffer, or the rows of A gathered for BLAS.
    cdef fm_gemm_args args = g[0]
    cdef Py_ssize_t r, p, width, m = g.m, n = g.n, k = g.k, lda = g.lda
    cdef const floating *a = <const floating *>g.a
    cdef floating *cs = <floating *>g.colsum
    if own:
        args.pack = scratch
        own_gemm(&args, trans_b, b, ldb)
        return
    if g.rows != NULL:
        width = m if g.trans_a else k
        for r in range(k if g.trans_a else m):
            memcpy(scratch + r * width, a + g.rows[r] * lda, width * sizeof(floating))
        a = scratch
        lda = width
    gemm_rm(g.trans_a, trans_b, m, n, k, <floating>1.0, a, lda, b, ldb,
            <floating>(1.0 if g.accumulate else 0.0), <floating *>g.c, g.ldc)
    if cs != NULL:
        if trans_b:
            for r in range(n):
                for p in range(k):
                    cs[r] += b[r * ldb + p]
        else:
            _colsum_add(b, cs, k, n)


cdef void *_first(object arr) except? NULL:
    """The address of arr[0, ...] (any row stride; the caller keeps arr alive)."""
    cdef Py_buffer view
    cdef void *first
    PyObject_GetBuffer(arr, &view, PyBUF_RECORDS_RO)
    first = view.buf
    PyBuffer_Release(&view)
    return first


def product(A, B, C, *, trans_a=False, trans_b=False, rows=None, accumulate=False,
            colsum=None, kernel="own", repeat=1):
    """C[...] = op(A) @ op(B) (+ C when `accumulate`), single-threaded, without
    the GIL.

    op(A) is A[rows] (A when rows is None), transposed when `trans_a`; op(B) is
    B, or B.T when `trans_b`.  A, B, C are 2-D arrays of one dtype (float32 or
    float64) with unit stride along their last axis (any row stride).  With
    `colsum` (1-D, length n), also colsum += op(B).sum(axis=0).  `kernel`:
    "own" (the kernels at the current instruction set, see isa()) or "blas".
    `repeat` > 1 computes the product that many times in one call (timings
    without the cost of the Python call; with `accumulate` or `colsum` the
    sums then grow each time).
    """
    cdef Py_ssize_t[::1] idx
    cdef Py_ssize_t *rows_ptr = NULL
    cdef Py_ssize_t m, n, k, kb, stored, lda, ldb, ldc
    cdef bint own
    if kernel not in ("own", "blas"):
        raise ValueError(f"kernel must be 'own' or 'blas', got {kernel!r}")
    own = kernel == "own"
    dtype = C.dtype
    if dtype not in (np.float32, np.float64) or A.dtype != dtype or B.dtype != dtype:
        raise TypeError("A, B and C must share one dtype, float32 or float64")
    lda, ldb, ldc = _leading(A, "A"), _leading(B, "B"), _leading(C, "C")
    stored = A.shape[0]
    if rows is not None:
        idx = np.ascontiguousarray(rows, dtype=np.intp)
        if idx.shape[0] and (np.min(idx) < 0 or np.max(idx) >= stored):
            raise ValueError("rows out of range of A")
        stored = idx.shape[0]
        if stored:
            rows_ptr = &idx[0]
    m, k = (A.shape[1], stored) if trans_a else (stored, A.shape[1])
    kb, n = (B.shape[1], B.shape[0]) if trans_b else (B.shape[0], B.shape[1])
    if kb != k or C.shape[0] != m or C.shape[1] != n:
        raise ValueError(f"incompatible shapes: op(A) ({m}, {k}), op(B) ({kb}, {n}), "
                         f"C {C.shape}")
    if colsum is not None and (colsum.dtype != dtype or colsum.shape != (n,)
                               or not colsum.flags.c_contiguous):
        raise ValueError(f"colsum must be a contiguous ({n},) array of dtype {dtype}")
    if m == 0 and colsum is None or n == 0:
        return
    # the own kernels' copy of B, or the rows gathered first for BLAS
    if own:
        size = fm_gemm_pack_elems(trans_a, trans_b, colsum is not None, n, k, dtype.itemsize)
    else:
        size = m * k if rows is not None else 0
    scratch = np.empty(max(size, 1), dtype=dtype)
    empty = np.zeros((1, 1), dtype=dtype)
    cdef fm_gemm_args g
    gemm_args(&g, trans_a, m, n, k, _first(A if A.size else empty), lda, rows_ptr,
              _first(C if C.size else empty), ldc, accumulate)
    g.colsum = NULL if colsum is None else _first(colsum)
    cdef void *b_ptr = _first(B if B.size else empty)
    cdef void *s_ptr = _first(scratch)
    cdef Py_ssize_t t
    cdef bint single = dtype == np.float32
    cdef bint tb = trans_b
    cdef Py_ssize_t n_repeat = repeat
    with nogil:
        for t in range(n_repeat):
            if single:
                _product(&g, tb, <const float *>b_ptr, ldb, own, <float *>s_ptr)
            else:
                _product(&g, tb, <const double *>b_ptr, ldb, own, <double *>s_ptr)
