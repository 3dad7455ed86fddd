"""Early stopping's validation pass (fastmlp/_early_stopping.py, the engine's
``validation_pass``): one forward pass over the held-out rows gives the
validation loss and the sums the score is made of.

* The loss is the full-batch objective's data loss (``loss_grad``), bit for
  bit, at any team size.
* The score is scikit-learn's score of the estimator's own predictions:
  accuracy_score (binary, multiclass, multilabel, hinge margins) equal to the
  last bit when given the weights the fit trains with (the network's dtype);
  r2_score to 1e-12 (the engine sums the residuals in double, scikit-learn in
  the network's dtype and in another order: in float64 both are within a few
  ulps of the exact sums, and so within ~1e-15 of each other relative to the
  total sum of squares; float32 outputs are compared with an r2_score made in
  float64 on the same float32 outputs).  Classes are decided on the network's
  outputs in its own dtype, as predict decides them.
* The parameters of the best epoch are restored at the end, kept in a buffer of
  the fit's own (a failed call puts back the previous fit's, untouched).
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.metrics import accuracy_score, r2_score

from fastmlp import MLPClassifier, MLPRegressor, _early_stopping
from fastmlp._kernels import _codes, _engine
from fastmlp._objective import TrainingSet

_rng = np.random.RandomState(5)
X_ALL = _rng.randn(2100, 12)
SW_ALL = _rng.uniform(0.2, 3.0, 2100)


def _target(task, X):
    if task == "binary":
        return (X[:, 0] + X[:, 1] > 0).astype(int)
    if task == "multiclass":
        return (X[:, 0] + X[:, 2] > 0).astype(int) + (X[:, 3] > 0.5)
    if task == "multilabel":
        return np.c_[X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 3] > 0.5].astype(int)
    if task == "reg2":
        return np.c_[X[:, 0] - 2 * X[:, 1], np.sin(X[:, 2])]
    if task == "poisson":
        return np.exp(0.3 * X[:, 0])
    return X[:, 0] - 2 * X[:, 1] + 0.1 * X[:, 3] ** 2


# (id, estimator class, task, parameters): every score rule, canonical and
# non-canonical output/loss pairs
CASES = [
    ("binary", MLPClassifier, "binary", {}),
    ("multiclass", MLPClassifier, "multiclass", {}),
    ("multilabel", MLPClassifier, "multilabel", {}),
    ("hinge-binary", MLPClassifier, "binary", {"loss": "hinge"}),
    ("squared_hinge-multiclass", MLPClassifier, "multiclass", {"loss": "squared_hinge"}),
    ("hinge-multilabel", MLPClassifier, "multilabel", {"loss": "hinge"}),
    ("reg1", MLPRegressor, "reg1", {}),
    ("reg2-huber", MLPRegressor, "reg2", {"loss": "huber"}),
    ("poisson", MLPRegressor, "poisson", {"loss": "poisson"}),
    ("reg1-logistic_out", MLPRegressor, "reg1", {"out_activation": "logistic"}),
]
CASE_IDS = [c[0] for c in CASES]


def _fitted(Est, task, params, dtype, n=300, **extra):
    X = X_ALL[:n].astype(dtype)
    est = Est(
        hidden_layer_sizes=(17, 9),
        solver="lbfgs",
        max_iter=4,
        alpha=1e-3,
        random_state=0,
        **{**params, **extra},
    )
    return est.fit(X, _target(task, X_ALL[:n]))


def _engine_inputs(est, X, y, sw):
    """What the engine reads for rows (X, y, sw) of `est`: its Network and the
    rows' Dataset."""
    Xv, Yv = est._validate_input(X, y, incremental=True, reset=False)
    Yv = Yv.reshape((Yv.shape[0], -1))
    rows = TrainingSet.build(Xv, Yv, sw, est._params.dtype)
    spec = est._net_spec(est._network_layout(), dropout=False)
    return _engine.Network(spec, est._params), rows.data


def _passes(est, X, y, sw, chunk, n_threads):
    """(data loss of loss_grad, (data loss, finite), sums, correct of validation_pass)."""
    network, data = _engine_inputs(est, X, y, sw)
    dtype = est._params.dtype
    grad = np.empty(est._params.shape[0], dtype=dtype)
    _, data_loss = _engine.loss_grad(network, data, grad, chunk, n_threads)
    rule = _codes.SCORE_RULES[est._score_rule()]
    residuals = est._score_rule() == "residuals"
    n_out = data.Y.shape[1]
    sums = np.full(n_out if residuals else 1, np.nan)
    correct = np.full(0 if residuals else data.n_rows, -1, dtype=dtype)
    result = _engine.validation_pass(network, data, chunk, rule, sums, correct, n_threads)
    return data_loss, result, sums, correct


@pytest.mark.parametrize("n", [150, 2100], ids=["one_slot", "eight_slots"])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_validation_pass_loss_is_loss_grads_data_loss(case, dtype, sparse, n):
    """The loss bit for bit, and the sums and right rows, at any team size and
    for chunks of every size; the sums are those of the estimator's predict."""
    _, Est, task, params = case
    est = _fitted(Est, task, params, dtype)
    X = X_ALL[:n].astype(dtype)
    X = sp.csr_matrix(np.where(np.abs(X) > 0.7, X, 0)) if sparse else X
    y = _target(task, X_ALL[:n])
    sw = SW_ALL[:n]
    for chunk in (n, 37):
        reference = None
        for n_threads in (1, 2, 3):
            data_loss, (loss, finite), sums, correct = _passes(
                est, X, y, sw, chunk, n_threads
            )
            assert loss == data_loss
            assert finite
            if reference is None:
                reference = (loss, sums, correct)
            assert loss == reference[0]
            assert_array_equal(sums, reference[1])
            assert_array_equal(correct, reference[2])

    pred = est.predict(X)
    sw_net = sw.astype(dtype).astype(np.float64)
    if Est is MLPClassifier:
        right = pred == y if y.ndim == 1 else np.all(pred == y, axis=1)
        assert_array_equal(correct, right.astype(dtype))
        assert_allclose(sums[0], sw_net[right].sum(), rtol=1e-13)
    else:
        Y = y.reshape((n, -1)).astype(dtype).astype(np.float64)
        residual = Y - pred.reshape((n, -1)).astype(np.float64)
        assert_allclose(sums, (sw_net[:, None] * residual**2).sum(axis=0), rtol=1e-12)


def _validation(est, X, y, sw, val_rows, monkeypatch):
    """The ValidationSet of `est` holding rows `val_rows` (in that order) of (X, y)."""
    train_rows = np.setdiff1d(np.arange(X.shape[0]), val_rows)
    monkeypatch.setattr(
        _early_stopping, "train_test_split", lambda *args, **kwargs: (train_rows, val_rows)
    )
    Xv, Yv = est._validate_input(X, y, incremental=True, reset=False)
    Yv = Yv.reshape((Yv.shape[0], -1))
    rows = TrainingSet.build(
        Xv, Yv, est._sample_weights(Xv, Yv, sw, False), est._params.dtype
    )
    est._random_state = np.random.RandomState(0)
    spec = est._net_spec(est._network_layout())
    _, validation = est._validation_set(spec, rows)
    return validation


SCORE_CASES = [c for c in CASES if c[0] != "poisson"] + [
    ("reg2-constant_column", MLPRegressor, "reg2-constant", {}),
]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", SCORE_CASES, ids=[c[0] for c in SCORE_CASES])
def test_validation_score_is_sklearns(case, dtype, sparse, weighted, monkeypatch):
    """The score of ValidationSet.evaluate is scikit-learn's score of predict on
    the validation rows; its loss the full-batch data loss."""
    _, Est, task, params = case
    n = 300
    constant = task == "reg2-constant"
    if constant:
        task = "reg2"
    est = _fitted(Est, task, params, dtype, n=n)
    X = X_ALL[:n].astype(dtype)
    X = sp.csr_matrix(np.where(np.abs(X) > 0.7, X, 0)) if sparse else X
    y = _target(task, X_ALL[:n])
    if constant:
        y[:, 1] = 0.25
    sw = SW_ALL[:n] if weighted else None
    val_rows = np.random.RandomState(0).permutation(n)[:70]
    validation = _validation(est, X, y, sw, val_rows, monkeypatch)
    loss, score = validation.evaluate(est._params, 1)

    X_val, y_val = X[val_rows], y[val_rows]
    pred = est.predict(X_val)
    sw_net = None if sw is None else sw[val_rows].astype(dtype)
    network, data = _engine_inputs(est, X_val, y_val, sw_net)
    grad = np.empty_like(est._params)
    assert loss == _engine.loss_grad(network, data, grad, 70)[1]
    if Est is MLPClassifier:
        # the weights the fit trains with: the same sums, to the last bit
        assert score == accuracy_score(y_val, pred, sample_weight=sw_net)
        # the user's float64 weights: float32 rounding of the weights
        assert_allclose(
            score,
            est.score(X_val, y_val, sample_weight=None if sw is None else sw[val_rows]),
            rtol=0 if dtype == np.float64 or sw is None else 1e-6,
        )
    else:
        y_net = y_val.astype(dtype).astype(np.float64)
        w = None if sw_net is None else sw_net.astype(np.float64)
        assert_allclose(
            score,
            r2_score(y_net, pred.astype(np.float64), sample_weight=w),
            rtol=1e-12,
            atol=1e-12,
        )
        # scikit-learn's own sums, in float32 for a float32 network (where the
        # weighted mean of a constant column is not the constant: no reference)
        if dtype == np.float64 or not (constant and weighted):
            assert_allclose(
                score,
                est.score(X_val, y_val, sample_weight=None if sw is None else sw[val_rows]),
                rtol=1e-12 if dtype == np.float64 else 1e-5,
                atol=1e-12,
            )


def test_constant_column_fitted_exactly_scores_one(monkeypatch):
    """force_finite: a constant target column predicted exactly counts 1, else 0."""
    est = _fitted(MLPRegressor, "reg2", {}, np.float64)
    X, y = X_ALL[:300], _target("reg2", X_ALL[:300])
    y[:, 1] = 0.25
    val_rows = np.arange(40)
    for bias, expected_second in ((0.25, 1.0), (0.3, 0.0)):
        est.coefs_[-1][:, 1] = 0.0
        est.intercepts_[-1][1] = bias
        validation = _validation(est, X, y, None, val_rows, monkeypatch)
        _, score = validation.evaluate(est._params, 1)
        first = r2_score(y[val_rows, 0], est.predict(X[val_rows])[:, 0])
        assert_allclose(score, (first + expected_second) / 2, rtol=1e-12)
        assert_allclose(score, est.score(X[val_rows], y[val_rows]), rtol=1e-12)


def test_float32_outputs_at_the_threshold_decided_in_float32(monkeypatch):
    """Logistic outputs within float32 rounding of 0.5: the engine decides on
    the same float32 outputs as predict (many are exactly 0.5, not above)."""
    est = _fitted(MLPClassifier, "multilabel", {}, np.float32)
    est.coefs_[-1][...] *= np.float32(1e-7)
    est.intercepts_[-1][...] = 0
    X, y = X_ALL[:300].astype(np.float32), _target("multilabel", X_ALL[:300])
    val_rows = np.arange(300)
    proba = est.predict_proba(X)
    assert np.any(proba == 0.5) and np.any(proba > 0.5) and np.any(proba < 0.5)
    validation = _validation(est, X, y, None, val_rows, monkeypatch)
    _, score = validation.evaluate(est._params, 1)
    assert score == accuracy_score(y, est.predict(X))


@pytest.mark.parametrize("loss", ["log_loss", "hinge"])
def test_tied_outputs_pick_the_first_class(loss, monkeypatch):
    """Equal outputs: the first class, as numpy's argmax."""
    est = _fitted(MLPClassifier, "multiclass", {"loss": loss}, np.float64)
    est.coefs_[-1][...] = 0
    est.intercepts_[-1][...] = 0.5
    X, y = X_ALL[:300], _target("multiclass", X_ALL[:300])
    assert np.all(est.predict(X) == 0)
    validation = _validation(est, X, y, None, np.arange(300), monkeypatch)
    _, score = validation.evaluate(est._params, 1)
    assert score == np.mean(y == 0) == accuracy_score(y, est.predict(X))


@pytest.mark.parametrize(
    "Est,task,loss,bias",
    [
        (MLPClassifier, "multiclass", "hinge", [0.0, np.nan, 0.0]),
        (MLPClassifier, "multiclass", "log_loss", [np.inf, 0.0, 0.0]),
        (MLPClassifier, "binary", "log_loss", [np.nan]),
        (MLPRegressor, "reg1", "squared_error", [np.inf]),
    ],
    ids=["hinge-nan_margin", "softmax-inf", "logistic-nan", "regression-inf"],
)
def test_non_finite_outputs_score_as_predict(Est, task, loss, bias, monkeypatch):
    """Non-finite outputs: R² is NaN; classes are still predicted (numpy's argmax
    takes the first NaN, a NaN is not above the threshold), as the estimators'
    _score does."""
    est = _fitted(Est, task, {"loss": loss}, np.float64)
    est.intercepts_[-1][...] = bias
    X, y = X_ALL[:300], _target(task, X_ALL[:300])
    validation = _validation(est, X, y, None, np.arange(300), monkeypatch)
    _, score = validation.evaluate(est._params, 1)
    expected = est._score(X, y)
    if Est is MLPRegressor:
        assert np.isnan(score) and np.isnan(expected)
    else:
        assert score == expected


def _early_stopping_fit(Est, task, **params):
    est = Est(
        **{
            **dict(
                hidden_layer_sizes=(17, 9),
                solver="adam",
                learning_rate_init=0.02,
                early_stopping=True,
                validation_fraction=0.3,
                n_iter_no_change=1000,
                max_iter=25,
                random_state=0,
            ),
            **params,
        }
    )
    return est, X_ALL[:300], _target(task, X_ALL[:300])


@pytest.mark.parametrize(
    "Est,task,rate",
    [(MLPClassifier, "multiclass", 0.02), (MLPRegressor, "reg2", 0.1)],
    ids=["clf", "reg"],
)
def test_best_epochs_parameters_restored(Est, task, rate, monkeypatch):
    """The fit ends on the parameters of the first epoch of the best score, and
    the scores are those of evaluate at every epoch's parameters."""
    est, X, y = _early_stopping_fit(Est, task, learning_rate_init=rate)
    seen = []
    evaluate = _early_stopping.ValidationSet.evaluate

    def spy(self, params, n_threads):
        result = evaluate(self, params, n_threads)
        seen.append((params.copy(), result))
        return result

    monkeypatch.setattr(_early_stopping.ValidationSet, "evaluate", spy)
    est.fit(X, y, sample_weight=SW_ALL[:300])
    scores = [score for _, (_, score) in seen]
    assert est.validation_scores_ == scores
    assert est.validation_loss_curve_ == [loss for _, (loss, _) in seen]
    best = int(np.argmax(scores))
    assert 0 < best < len(scores) - 1, "the case must improve, then get worse"
    assert est.best_validation_score_ == scores[best]
    assert_array_equal(est._params, seen[best][0])


def test_failed_fit_puts_back_the_previous_best_parameters(monkeypatch):
    """Every fit keeps its best parameters in a buffer of its own: a warm-started
    fit leaves the previous fit's untouched, and one that improves its score
    and then fails puts back the previous best parameters as they were."""
    est, X, y = _early_stopping_fit(
        MLPClassifier, "multiclass", warm_start=True, max_iter=5
    )
    est.fit(X, y)
    first_best = est._best_params
    kept = first_best.copy()
    est.best_validation_score_ = -np.inf  # the next epoch improves on it
    est.fit(X, y)
    assert est._best_params is not first_best
    assert_array_equal(first_best, kept)

    before = est._best_params
    kept, params = before.copy(), est._params.copy()
    est.best_validation_score_ = -np.inf

    def fail(self, X):
        raise ValueError("failed after training")

    monkeypatch.setattr(MLPClassifier, "_check_finite_fit", fail)
    with pytest.raises(ValueError, match="failed after training"):
        est.fit(X, y)
    assert est._best_params is before
    assert_array_equal(before, kept)
    assert_array_equal(est._params, params)
