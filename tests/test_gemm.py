"""The matrix products: the BLAS layer (fastmlp/_kernels/_blas.pyx) and fastmlp's
own small-GEMM kernels (csrc/gemm_kernels.h) against numpy, the own kernels at every
instruction set this CPU runs; the rule choosing between the two; and the engine on
the own kernels against the engine on BLAS.

The own kernels' products are checked against float64 numpy with the rounding-error
bound of a sum of k products: |C - C_exact| <= 2 k eps (|op(A)| |op(B)| + |C0|), eps
of the dtype; every product of the engine's three kinds (forward, delta, weight
gradient with the column sums), with leading dimensions wider than the rows and
starts one element off the allocation.
"""

import itertools
import os

import numpy as np
import pytest
from numpy.testing import assert_allclose

from fastmlp import MLPClassifier, MLPRegressor
from fastmlp._kernels import _blas, _engine, _gemm
from fastmlp._multilayer_perceptron import _HIDDEN_ACTIVATIONS
from fastmlp._network import Layout

DTYPES = [np.float32, np.float64]
ISAS = _gemm.supported_isas()
SMALL = range(1, 34)


# ---------------------------------------------------------------------------
# The BLAS layer
# ---------------------------------------------------------------------------
# Relative tolerances of the BLAS products against float64 numpy (the measured
# differences are given in the test).
BLAS_RTOL = {np.float32: 2e-5, np.float64: 1e-12}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
@pytest.mark.parametrize("m, n, k", [(5, 3, 4), (1, 7, 2), (6, 1, 1), (4, 4, 9)])
def test_blas_gemm_matches_numpy(dtype, trans_a, trans_b, m, n, k):
    rng = np.random.RandomState(0)
    a = rng.randn(*((k, m) if trans_a else (m, k))).astype(dtype)
    b = rng.randn(*((n, k) if trans_b else (k, n))).astype(dtype)
    c0 = rng.randn(m, n).astype(dtype)
    opa = a.T if trans_a else a
    opb = b.T if trans_b else b
    for alpha, beta in [(1.0, 0.0), (0.5, 2.0), (-1.5, 1.0)]:
        c = c0.copy()
        _blas.gemm(trans_a, trans_b, alpha, a, b, beta, c)
        expected = alpha * (opa.astype(np.float64) @ opb.astype(np.float64)) + beta * c0
        # measured: within 1.1e-6 (float32), 1.8e-15 (float64) absolute
        atol = 1e-5 if dtype is np.float32 else 1e-13
        assert_allclose(c, expected, rtol=BLAS_RTOL[dtype], atol=atol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_blas_gemm_empty_inner_dimension_scales_c(dtype):
    a = np.zeros((3, 0), dtype=dtype)
    b = np.zeros((0, 2), dtype=dtype)
    c = np.ones((3, 2), dtype=dtype)
    _blas.gemm(False, False, 1.0, a, b, 3.0, c)
    assert_allclose(c, 3.0)
    _blas.gemm(False, False, 1.0, a, b, 0.0, c)
    assert_allclose(c, 0.0)


def test_blas_gemm_rejects_bad_shapes():
    with pytest.raises(ValueError, match="incompatible"):
        _blas.gemm(
            False, False, 1.0, np.ones((2, 3)), np.ones((2, 3)), 0.0, np.ones((2, 3))
        )


@pytest.mark.parametrize("dtype", DTYPES)
def test_blas_axpy(dtype):
    x = np.arange(5, dtype=dtype)
    y = np.ones(5, dtype=dtype)
    _blas.axpy_vec(2.0, x, y)
    assert_allclose(y, 1 + 2 * np.arange(5))


# ---------------------------------------------------------------------------
# The own kernels
# ---------------------------------------------------------------------------
@pytest.fixture
def isa(request):
    previous = _gemm.set_isa(request.param)
    yield request.param
    _gemm.set_isa(previous)


def _strided(rng, shape, dtype, pad=3):
    """A random array of `shape` that is a view: rows `pad` elements wider than
    their width, starting one element into the allocation (unaligned)."""
    base = rng.standard_normal((shape[0] + 1, shape[1] + pad)).astype(dtype)
    return base[1:, 1 : 1 + shape[1]]


def _check(dtype, m, n, k, trans_a, trans_b, rows, accumulate, colsum, rng):
    stored = (k if trans_a else m) if rows is None else len(rows)
    a_rows = stored if rows is None else stored + 5
    A = _strided(rng, (a_rows, m if trans_a else k), dtype)
    B = _strided(rng, (n, k) if trans_b else (k, n), dtype)
    C = _strided(rng, (m, n), dtype)
    C0 = C.astype(np.float64)
    opA = (A if rows is None else A[rows]).astype(np.float64)
    opA = opA.T if trans_a else opA
    opB = B.T.astype(np.float64) if trans_b else B.astype(np.float64)
    cs = rng.standard_normal(n).astype(dtype) if colsum else None
    cs0 = None if cs is None else cs.astype(np.float64)
    _gemm.product(
        A,
        B,
        C,
        trans_a=trans_a,
        trans_b=trans_b,
        rows=rows,
        accumulate=accumulate,
        colsum=cs,
    )
    expected = opA @ opB + (C0 if accumulate else 0)
    eps = np.finfo(dtype).eps
    bound = 2 * (k + 1) * eps * (np.abs(opA) @ np.abs(opB) + np.abs(C0)) + 1e-30
    err = np.abs(C - expected)
    assert (err <= bound).all(), (
        f"m={m} n={n} k={k} trans_a={trans_a} trans_b={trans_b} rows={rows is not None} "
        f"accumulate={accumulate}: error {err.max():.3g} above bound"
    )
    if cs is not None:
        expected_cs = cs0 + opB.sum(axis=0)
        cs_bound = 2 * (k + 1) * eps * (np.abs(opB).sum(axis=0) + np.abs(cs0))
        assert (np.abs(cs - expected_cs) <= cs_bound).all()


# The four ways the engine calls the kernels.
KINDS = {
    # forward of a hidden layer: C = A W
    "forward": dict(
        trans_a=False, trans_b=False, rows=False, accumulate=False, colsum=False
    ),
    # forward of the first layer through the batch index
    "forward-rows": dict(
        trans_a=False, trans_b=False, rows=True, accumulate=False, colsum=False
    ),
    # delta: C = D W^T
    "delta": dict(trans_a=False, trans_b=True, rows=False, accumulate=False, colsum=False),
    # weight gradient of the first layer: C (+)= X[rows]^T D, intercepts = colsum(D)
    "weight-grad": dict(
        trans_a=True, trans_b=False, rows=True, accumulate=True, colsum=True
    ),
    "weight-grad-plain": dict(
        trans_a=True, trans_b=False, rows=False, accumulate=False, colsum=True
    ),
}


def _check_kind(kind, dtype, m, k, n, rng):
    """_check of product `kind` with op(A) (m, k) and op(B) (k, n); a batch
    index, where the kind has one, picks the rows from 5 more."""
    opts = KINDS[kind]
    stored = k if opts["trans_a"] else m
    rows = rng.permutation(stored + 5)[:stored] if opts["rows"] else None
    _check(
        dtype,
        m,
        n,
        k,
        opts["trans_a"],
        opts["trans_b"],
        rows,
        opts["accumulate"],
        opts["colsum"],
        rng,
    )


@pytest.mark.parametrize("isa", ISAS, indirect=True)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ["forward-rows", "delta", "weight-grad"])
def test_every_small_shape_matches_numpy(isa, dtype, kind):
    """Every m, k, n in 1..33: every row and column remainder of the register tiles."""
    rng = np.random.default_rng([len(kind), np.dtype(dtype).itemsize, ISAS.index(isa)])
    for m, k, n in itertools.product(SMALL, SMALL, SMALL):
        _check_kind(kind, dtype, m, k, n, rng)


@pytest.mark.parametrize("isa", ISAS, indirect=True)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "m, k, n",
    [
        (200, 784, 100),
        (257, 300, 129),
        (200, 100, 3),
        (64, 1000, 17),
        (1000, 40, 256),
        (3, 5000, 2),
    ],
)
def test_large_shapes_match_numpy(isa, dtype, m, k, n):
    rng = np.random.default_rng([m, k, n])
    for kind in KINDS:
        _check_kind(kind, dtype, m, k, n, rng)


@pytest.mark.parametrize("isa", ISAS, indirect=True)
@pytest.mark.parametrize("dtype", DTYPES)
def test_weight_gradient_of_512_rows_and_more_matches_numpy(isa, dtype):
    """C = op(A)^T B with 512 rows of C or more (the weight gradient of a first
    layer of 512 inputs or more), which the kernels compute in blocks of rows of
    A and B, column block by column block: every remainder of the row tile
    (512 + 1..7 rows, and 520 with none), over two blocks of A's rows (70) and
    full and partial column tiles (53 columns)."""
    rng = np.random.default_rng([512, np.dtype(dtype).itemsize, ISAS.index(isa)])
    k, n = 70, 53
    for m in range(513, 521):
        for kind in ("weight-grad", "weight-grad-plain"):
            _check_kind(kind, dtype, m, k, n, rng)


@pytest.mark.parametrize("dtype", DTYPES)
def test_empty_products(dtype):
    rng = np.random.default_rng(0)
    # k = 0: C is zeroed (or kept when accumulating), column sums unchanged
    C = rng.standard_normal((4, 5)).astype(dtype)
    _gemm.product(np.zeros((4, 0), dtype), np.zeros((0, 5), dtype), C)
    assert (C == 0).all()
    C = rng.standard_normal((4, 5)).astype(dtype)
    C0 = C.copy()
    _gemm.product(np.zeros((4, 0), dtype), np.zeros((0, 5), dtype), C, accumulate=True)
    assert_allclose(C, C0)
    # m = 0 with column sums: only the sums
    D = rng.standard_normal((6, 5)).astype(dtype)
    cs = np.zeros(5, dtype)
    _gemm.product(
        np.zeros((6, 0), dtype), D, np.zeros((0, 5), dtype), trans_a=True, colsum=cs
    )
    assert_allclose(cs, D.sum(axis=0), rtol=1e-5)


def test_product_rejects_bad_arguments():
    a = np.ones((3, 4))
    with pytest.raises(ValueError, match="incompatible shapes"):
        _gemm.product(a, np.ones((5, 2)), np.ones((3, 2)))
    with pytest.raises(TypeError, match="one dtype"):
        _gemm.product(a.astype(np.float32), np.ones((4, 2)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="unit stride"):
        _gemm.product(np.ones((4, 3)).T, np.ones((4, 2)), np.ones((3, 2)))
    with pytest.raises(ValueError, match="out of range"):
        _gemm.product(a, np.ones((4, 2)), np.ones((2, 2)), rows=[0, 3])
    with pytest.raises(ValueError, match="kernel"):
        _gemm.product(a, np.ones((4, 2)), np.ones((3, 2)), kernel="mkl")


def test_isa_selection():
    assert _gemm.isa() in ISAS
    assert ISAS[-1] == "generic"
    with pytest.raises(ValueError, match="unknown instruction set"):
        _gemm.set_isa("sse9")
    for name in ("avx512", "avx2"):
        if name not in ISAS:
            with pytest.raises(ValueError, match="cannot run"):
                _gemm.set_isa(name)


def test_kernel_mode_from_environment(monkeypatch):
    monkeypatch.setenv("FASTMLP_KERNELS", "blas")
    assert not _gemm.choose(_gemm.FORWARD, 40, 100, 8)
    monkeypatch.setenv("FASTMLP_KERNELS", "own")
    assert _gemm.choose(_gemm.FORWARD, 4000, 4000, 8)
    monkeypatch.setenv("FASTMLP_KERNELS", "fast")
    with pytest.raises(ValueError, match="FASTMLP_KERNELS"):
        _gemm.kernel_mode()
    with pytest.raises(ValueError, match="FASTMLP_KERNELS"):
        MLPClassifier(max_iter=1).fit(np.ones((4, 2)), [0, 1, 0, 1])


def test_choice_depends_on_the_layer_shape_only(monkeypatch):
    monkeypatch.delenv("FASTMLP_KERNELS", raising=False)
    spec = _engine.NetSpec(Layout([40, 100, 3]), ["relu", "softmax"], "log_loss")
    ops = (_gemm.FORWARD, _gemm.DELTA, _gemm.WEIGHT_GRAD)
    for itemsize, own in ((8, spec.own_d), (4, spec.own_s)):
        expected = [
            _gemm.choose(op, k, n, itemsize) for k, n in ((40, 100), (100, 3)) for op in ops
        ]
        assert list(own) == expected
    # a layer of 2000 x 2000 float64 weights (32 MB) goes to BLAS, 40 x 100 does not
    # (except on the portable and NEON variants, which have no measured shapes and
    # leave every product to BLAS)
    assert not _gemm.choose(_gemm.FORWARD, 2000, 2000, 8, "auto")
    own = _gemm.isa() in ("avx2", "avx512")
    assert _gemm.choose(_gemm.FORWARD, 40, 100, 8, "auto") == own


# ---------------------------------------------------------------------------
# The engine on the own kernels against the engine on BLAS
# ---------------------------------------------------------------------------
def _fit_both(monkeypatch, make, X, y, **fit):
    out = {}
    for mode in ("blas", "own"):
        monkeypatch.setenv("FASTMLP_KERNELS", mode)
        est = make()
        if fit.get("partial"):
            est.partial_fit(X, y, classes=np.unique(y))
            est.partial_fit(X, y)
        else:
            est.fit(X, y)
        out[mode] = est
    return out["blas"], out["own"]


def _assert_same_model(a, b, dtype, X):
    # Same arithmetic up to the order of the sums in each product: round-off only.
    rtol = 2e-3 if dtype == np.float32 else 1e-7
    for ca, cb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_allclose(cb, ca, rtol=rtol, atol=rtol * np.abs(ca).max())
    pa = a.predict_proba(X) if hasattr(a, "predict_proba") else a.predict(X)
    pb = b.predict_proba(X) if hasattr(b, "predict_proba") else b.predict(X)
    assert_allclose(pb, pa, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", sorted(_HIDDEN_ACTIVATIONS))
def test_every_activation_trains_alike_on_both_kernels(monkeypatch, dtype, activation):
    """Each activation's fused epilogue (forward) and derivative (delta), with
    dropout, through the shuffled batch index, both dtypes."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((230, 21)).astype(dtype)
    y = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(int) + (X[:, 2] > 0.8)
    blas, own = _fit_both(
        monkeypatch,
        lambda: MLPClassifier(
            hidden_layer_sizes=(33, 17),
            activation=activation,
            batch_size=50,
            max_iter=3,
            dropout=0.2,
            random_state=0,
        ),
        X,
        y,
    )
    _assert_same_model(blas, own, dtype, X)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("solver", ["lbfgs", "sgd"])
def test_regressor_and_full_batch_alike_on_both_kernels(monkeypatch, dtype, solver):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 9)).astype(dtype)
    y = np.c_[X[:, 0] * X[:, 1], np.sin(X[:, 2])]
    blas, own = _fit_both(
        monkeypatch,
        lambda: MLPRegressor(
            hidden_layer_sizes=(20, 7),
            solver=solver,
            max_iter=5,
            random_state=0,
            early_stopping=solver == "sgd",
        ),
        X,
        y,
    )
    _assert_same_model(blas, own, dtype, X)


@pytest.mark.parametrize("isa", ISAS, indirect=True)
def test_engine_at_every_instruction_set(monkeypatch, isa):
    """A fit and a prediction on the variant `isa` against BLAS."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((400, 30))
    y = rng.integers(0, 4, 400)
    blas, own = _fit_both(
        monkeypatch,
        lambda: MLPClassifier(hidden_layer_sizes=(40,), max_iter=4, random_state=0),
        X,
        y,
    )
    _assert_same_model(blas, own, np.float64, X)


@pytest.mark.parametrize("isa", ISAS, indirect=True)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_first_layer_of_514_inputs_alike_on_both_kernels(monkeypatch, isa, dtype, solver):
    """A first layer of 514 inputs: its weight gradient is one product of 514 rows
    (the full-batch objective's; a mini-batch's too, as 514 x 10 weights at
    batch 100 make one work item), whose last rows (514 = 8 * 64 + 2) fall in a
    strip of two; the target depends on the last inputs, so their coefficients
    move."""
    rng = np.random.default_rng(11)
    X = rng.standard_normal((200, 514)).astype(dtype)
    y = (X[:, -1] - X[:, -2] + 0.5 * X[:, 0] > 0).astype(int)
    blas, own = _fit_both(
        monkeypatch,
        lambda: MLPClassifier(
            hidden_layer_sizes=(10,),
            solver=solver,
            batch_size=100,
            max_iter=3,
            random_state=0,
        ),
        X,
        y,
    )
    _assert_same_model(blas, own, dtype, X)


def test_partial_fit_alike_on_both_kernels(monkeypatch):
    rng = np.random.default_rng(9)
    X = rng.standard_normal((150, 12)).astype(np.float32)
    y = rng.integers(0, 2, 150)
    blas, own = _fit_both(
        monkeypatch,
        lambda: MLPClassifier(hidden_layer_sizes=(16,), random_state=0),
        X,
        y,
        partial=True,
    )
    _assert_same_model(blas, own, np.float32, X)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["own", "blas"])
def test_parity_gradients_and_team_hold_on_either_side(mode):
    """scikit-learn parity (rtol 1e-6), the gradient checks and the results'
    independence of the team size, with every product forced to one side (the
    rest of the suite runs the default choice)."""
    import subprocess
    import sys
    from pathlib import Path

    tests = Path(__file__).resolve().parent
    env = dict(os.environ, FASTMLP_KERNELS=mode)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            *(
                str(tests / name)
                for name in ("test_parity.py", "test_thread_team.py", "test_gradients.py")
            ),
        ],
        # not the repository root: `-m` puts the working directory on sys.path, and
        # the source tree's uncompiled package must not shadow the installed one
        cwd=tests,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-3000:]
