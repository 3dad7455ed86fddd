"""Issue 5, item 5 (part): repeated fit/predict keeps the resident set size flat.

Each test runs a warm-up, measures RSS, runs hundreds of cycles, and requires the
growth to stay under a generous bound (allocator caching and fragmentation make
RSS noisy; a per-call leak of the engine's buffers would exceed it many times).
"""

import gc
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from fastmlp import MLPClassifier, MLPRegressor

psutil = pytest.importorskip("psutil")

pytestmark = pytest.mark.filterwarnings("ignore")

MAX_GROWTH_MB = 20.0

_rng = np.random.RandomState(0)
X = _rng.randn(300, 20)
XS = sp.csr_matrix(np.where(np.abs(X) > 1.0, X, 0.0))
X32 = X.astype(np.float32)
Y_CLF = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
Y_REG = X[:, 0] - X[:, 3]
X_BIG = _rng.randn(5000, 20)


def _rss_mb():
    gc.collect()
    return psutil.Process().memory_info().rss / 2**20


def _cycle(i):
    solver = ("sgd", "adam", "lbfgs")[i % 3]
    Xi = (X, XS, X32)[(i // 3) % 3]
    clf = MLPClassifier(hidden_layer_sizes=(32, 16), solver=solver, max_iter=3,
                        batch_size=64, random_state=i).fit(Xi, Y_CLF)
    clf.predict_proba(X_BIG)
    clf.predict(Xi)
    reg = MLPRegressor(hidden_layer_sizes=(32,), solver=solver, max_iter=3,
                       batch_size=64, random_state=i).fit(Xi, Y_REG)
    reg.predict(X_BIG)
    if solver != "lbfgs":
        reg.partial_fit(Xi, Y_REG)
    pickle.loads(pickle.dumps(reg)).predict(X[:10])
    # failure paths: a rejected input and a diverging fit
    try:
        reg.fit(np.where(X == X[0, 0], np.nan, X), Y_REG)
    except ValueError:
        pass
    try:
        MLPRegressor(hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=1e6,
                     max_iter=20, random_state=0).fit(X, Y_REG * 10)
    except ValueError:
        pass


def _growth(fn, warmup, cycles):
    for i in range(warmup):
        fn(i)
    before = _rss_mb()
    for i in range(warmup, warmup + cycles):
        fn(i)
    after = _rss_mb()
    return before, after


def test_rss_flat_over_repeated_fit_predict():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        before, after = _growth(_cycle, warmup=30, cycles=270)
    print(f"\nRSS {before:.1f} MB -> {after:.1f} MB over 270 fit/predict cycles")
    assert after - before < MAX_GROWTH_MB, (
        f"RSS grew by {after - before:.1f} MB over 270 cycles ({before:.1f} -> {after:.1f})"
    )


def test_rss_flat_over_repeated_predict_on_large_input():
    clf = MLPClassifier(hidden_layer_sizes=(64, 64), max_iter=2, random_state=0).fit(X, Y_CLF)
    Xl = np.vstack([X_BIG] * 4)
    Xls = sp.csr_matrix(np.where(np.abs(Xl) > 1.5, Xl, 0.0))

    def predict(i):
        clf.predict_proba(Xl if i % 2 else Xls)

    before, after = _growth(predict, warmup=10, cycles=300)
    print(f"\nRSS {before:.1f} MB -> {after:.1f} MB over 300 predictions of 20000 rows")
    assert after - before < MAX_GROWTH_MB


def test_rss_flat_over_repeated_partial_fit():
    est = MLPRegressor(hidden_layer_sizes=(64,), batch_size=16, random_state=0)

    def step(i):
        est.partial_fit(X if i % 2 else XS, Y_REG)

    before, after = _growth(step, warmup=20, cycles=400)
    print(f"\nRSS {before:.1f} MB -> {after:.1f} MB over 400 partial_fit calls")
    assert after - before < MAX_GROWTH_MB
