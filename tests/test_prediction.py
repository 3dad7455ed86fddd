"""Prediction runs over row chunks shared out among a team of threads (each chunk
taken by whichever thread is free, written to its own rows of the output).  Here
its results are compared with a plain NumPy forward pass over coefs_ and
intercepts_ (tests/_reference/network.py), on inputs spanning many chunks whose
size does not divide the number of rows (a last short chunk, of a single row
for some sizes): a chunk skipped, written twice, written at another chunk's
rows or cut one row off at a boundary leaves rows that differ from the NumPy
pass by far more than the tolerances.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from _reference.network import estimator_forward as forward
from _reference.network import estimator_predict_proba as predict_proba
from numpy.testing import assert_allclose, assert_array_equal

import fastmlp._multilayer_perceptron as mlp
from fastmlp import MLPClassifier, MLPRegressor
from fastmlp._kernels import _engine

N_FEATURES = 12
_rng = np.random.RandomState(0)
X_TRAIN = _rng.randn(200, N_FEATURES)
# 1000 = 27 * 37 + 1 = 62 * 16 + 8: every row of the last chunk is a boundary case
X_PRED = _rng.randn(1000, N_FEATURES)
X_PRED[:, 1:] *= np.exp(_rng.randn(1, N_FEATURES - 1))  # columns on different scales
MASK = _rng.rand(*X_PRED.shape) < 0.4
Y_CLF = (X_TRAIN[:, 0] + X_TRAIN[:, 2] > 0).astype(int) + (X_TRAIN[:, 3] > 1)
Y_REG = np.c_[X_TRAIN[:, 0] - 2 * X_TRAIN[:, 1], np.sin(X_TRAIN[:, 2])]


@pytest.fixture
def engine_calls(monkeypatch):
    """The (chunk, n_threads) of every call into the compiled prediction."""
    calls = []
    predict = _engine.predict

    def spy(*args):
        calls.append((args[3], args[4]))  # predict(network, data, out, chunk, n_threads
        return predict(*args)

    monkeypatch.setattr(_engine, "predict", spy)
    return calls


def _chunk_bytes(rows, dtype):
    """_PREDICT_CHUNK_BYTES that makes prediction chunks of `rows` rows."""
    return rows * N_FEATURES * np.dtype(dtype).itemsize


MODELS = {
    "multiclass-relu": lambda: (MLPClassifier(hidden_layer_sizes=(15, 7)), Y_CLF),
    "binary-tanh": lambda: (
        MLPClassifier(hidden_layer_sizes=(9,), activation="tanh"),
        Y_CLF > 0,
    ),
    "multilabel-logistic": lambda: (
        MLPClassifier(hidden_layer_sizes=(11,), activation="logistic"),
        np.c_[Y_CLF > 0, Y_CLF > 1, X_TRAIN[:, 4] > 0],
    ),
    "regression-two-outputs": lambda: (MLPRegressor(hidden_layer_sizes=(13, 6)), Y_REG),
    "poisson": lambda: (
        MLPRegressor(hidden_layer_sizes=(8,), loss="poisson"),
        np.exp(0.3 * X_TRAIN[:, 0]),
    ),
}


def _fitted(model, dtype):
    est, y = MODELS[model]()
    est.set_params(max_iter=30, random_state=0, learning_rate_init=0.01)
    return est.fit(X_TRAIN.astype(dtype), y)


def _check_predictions(est, Xp, dtype):
    """predict_proba and predict (classifiers), predict (regressors) against the
    NumPy forward pass."""
    rtol, atol = (1e-10, 1e-13) if dtype == np.float64 else (2e-5, 1e-6)
    expected = forward(est, Xp)
    if isinstance(est, MLPClassifier):
        proba = est.predict_proba(Xp)
        assert proba.dtype == dtype
        assert_allclose(proba, predict_proba(est, Xp), rtol=rtol, atol=atol)
        if est.out_activation_ == "softmax":
            labels = est.classes_[np.argmax(expected, axis=1)]
            top2 = np.sort(expected, axis=1)[:, -2:]
            sure = top2[:, 1] - top2[:, 0] > 1e-4
        else:
            labels = (expected > 0.5).astype(int)
            if est.n_outputs_ == 1:
                labels = est.classes_[labels.ravel()]
            sure = np.all(np.abs(expected - 0.5) > 1e-4, axis=1)
        # a row whose label is a near tie could go either way in float32
        assert sure.mean() > 0.9
        assert_array_equal(est.predict(Xp)[sure], labels[sure])
    else:
        pred = est.predict(Xp)
        assert pred.dtype == dtype
        if expected.shape[1] == 1:
            expected = expected.ravel()
        assert_allclose(pred, expected, rtol=rtol, atol=atol)


@pytest.mark.parametrize("chunk_rows", [16, 37])
@pytest.mark.parametrize("n_threads", [2, 3])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("model", list(MODELS))
def test_chunked_prediction_equals_numpy_forward_pass(
    team, monkeypatch, engine_calls, model, dtype, sparse, n_threads, chunk_rows
):
    est = _fitted(model, dtype)
    Xp = np.where(MASK, 0.0, X_PRED).astype(dtype)
    Xp = sp.csr_matrix(Xp) if sparse else Xp
    monkeypatch.setattr(mlp, "_PREDICT_CHUNK_BYTES", _chunk_bytes(chunk_rows, dtype))
    team(n_threads)
    engine_calls.clear()
    _check_predictions(est, Xp, dtype)
    n = X_PRED.shape[0]
    assert engine_calls, "prediction did not go through the compiled engine"
    for chunk, threads in engine_calls:
        # many chunks, the last one short, shared by the whole team
        assert chunk == chunk_rows and n % chunk != 0 and n // chunk > 20
        assert threads == n_threads


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_prediction_at_the_default_chunk_size(team, engine_calls, dtype, sparse):
    """Rows enough for a few chunks of the default size (2 MiB of X per chunk)."""
    rng = np.random.RandomState(1)
    n_features = 50
    X = rng.randn(300, n_features).astype(dtype)
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    clf = MLPClassifier(hidden_layer_sizes=(64, 32), max_iter=20, random_state=0)
    clf.fit(X, y)
    reg = MLPRegressor(hidden_layer_sizes=(40,), max_iter=20, random_state=0)
    reg.fit(X, X[:, :2] @ [1.0, -2.0])
    default_chunk = mlp._PREDICT_CHUNK_BYTES // (n_features * np.dtype(dtype).itemsize)
    n = 3 * default_chunk + 77
    Xp = rng.randn(n, n_features).astype(dtype)
    if sparse:
        Xp = sp.csr_matrix(np.where(rng.rand(n, n_features) < 0.5, 0.0, Xp).astype(dtype))
    team(3)
    engine_calls.clear()
    for est in (clf, reg):
        _check_predictions(est, Xp, dtype)
    assert engine_calls
    for chunk, threads in engine_calls:
        assert chunk == default_chunk and n // chunk == 3 and n % chunk == 77
        assert threads == 3


def test_prediction_of_fewer_rows_than_threads_or_one_chunk(team):
    """Fewer rows than threads, and exactly one full chunk: the team's surplus
    threads get no chunk, and every row is still predicted."""
    est = _fitted("multiclass-relu", np.float64)
    team(3)
    for n in (1, 2, 16):
        _check_predictions(est, X_PRED[:n], np.float64)
