"""Numerical parity of fastmlp with scikit-learn's own MLP estimators.

Every test fits a fastmlp estimator and scikit-learn's estimator with the
same parameters, data and ``random_state`` and compares the fitted state and
the predictions.  Expected values always come from scikit-learn.

Documented difference: for multi-output regression with
``loss="squared_error"`` (``y`` with k > 1 columns) fastmlp reports the
objective whose gradient is actually descended, i.e. the half squared error
*summed* over outputs (scikit-learn averages it over outputs) plus the same
L2 penalty.  With ``alpha=0`` this is exactly k times scikit-learn's
``loss_`` / ``loss_curve_`` / ``best_loss_``; with ``alpha > 0`` the penalty
is not multiplied by k (see ``test_multioutput_squared_error_penalised_loss``).
Everything else must match scikit-learn directly.
"""

from functools import lru_cache

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import (
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.preprocessing import StandardScaler

from fastmlp import MLPClassifier, MLPRegressor

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    # predict_log_proba of a saturated binary probability (both libraries)
    pytest.mark.filterwarnings("ignore:divide by zero encountered in log:RuntimeWarning"),
]

N_SAMPLES = 90
N_FEATURES = 8
CLASSIFICATION_TASKS = ("binary", "multiclass", "multilabel")

TOL64 = dict(rtol=1e-6, atol=1e-10)
# float32: parameters are compared loosely, outputs (predictions,
# probabilities, losses, scores) somewhat more tightly.
TOL32_PARAMS = dict(rtol=1e-2, atol=1e-3)
TOL32_OUTPUTS = dict(rtol=1e-3, atol=1e-4)


# --------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------


@lru_cache(maxsize=None)
def _raw_data(task):
    rng = np.random.RandomState(42)
    if task == "binary":
        X, y = make_classification(
            n_samples=N_SAMPLES,
            n_features=N_FEATURES,
            n_informative=5,
            n_redundant=1,
            random_state=0,
        )
        y = np.array(["neg", "pos"])[y]
    elif task == "multiclass":
        X, y = make_classification(
            n_samples=N_SAMPLES,
            n_features=N_FEATURES,
            n_informative=5,
            n_redundant=1,
            n_classes=3,
            n_clusters_per_class=1,
            random_state=1,
        )
        y = 10 * y + 5  # labels 5, 15, 25
    elif task == "multilabel":
        X, y = make_multilabel_classification(
            n_samples=N_SAMPLES, n_features=N_FEATURES, n_classes=3, random_state=2
        )
    elif task == "regression":
        X, y = make_regression(
            n_samples=N_SAMPLES,
            n_features=N_FEATURES,
            n_informative=6,
            noise=5.0,
            random_state=3,
        )
        y = (y - y.mean()) / y.std()
    elif task == "regression_2out":
        X, y = make_regression(
            n_samples=N_SAMPLES,
            n_features=N_FEATURES,
            n_informative=6,
            n_targets=2,
            noise=5.0,
            random_state=4,
        )
        y = (y - y.mean(axis=0)) / y.std(axis=0) * np.array([1.0, 2.0])
    elif task == "poisson":
        X = rng.normal(size=(N_SAMPLES, N_FEATURES))
        w = rng.normal(scale=0.3, size=N_FEATURES)
        y = rng.poisson(np.exp(X @ w + 0.3)).astype(np.float64)
    else:  # pragma: no cover
        raise ValueError(task)
    X = StandardScaler().fit_transform(X)
    X_eval = np.vstack([X[:20], rng.normal(size=(20, N_FEATURES))])
    sample_weight = rng.uniform(0.3, 2.5, size=N_SAMPLES)
    return X, y, X_eval, sample_weight


def _data(task, dtype=np.float64):
    X, y, X_eval, sw = _raw_data(task)
    return X.astype(dtype), y.copy(), X_eval.astype(dtype), sw.copy()


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _make_pair(task, params):
    params = dict(params)
    if task in CLASSIFICATION_TASKS:
        return MLPClassifier(**params), SkMLPClassifier(**params)
    params.setdefault("loss", "poisson" if task == "poisson" else "squared_error")
    return MLPRegressor(**params), SkMLPRegressor(**params)


def _loss_scale(task, params):
    """Factor between fastmlp's and scikit-learn's reported losses."""
    if task == "regression_2out" and params.get("loss", "squared_error") == "squared_error":
        assert params.get("alpha") == 0, "k-scaling of the loss is exact only for alpha=0"
        return 2.0
    return 1.0


def _partial_fit_chunks(y, n_calls=4):
    """Index chunks of unequal sizes; the data are ordered by target so that
    some chunks do not contain every class."""
    y = np.asarray(y)
    key = y if y.ndim == 1 else y[:, 0]
    order = np.argsort(key, kind="stable")
    bounds = np.linspace(0, len(order), n_calls + 1).astype(int)
    bounds[1] -= 3  # unequal sizes
    return [order[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def _fit(est, mode, X, y, sw, warm_start_max_iter=None):
    if mode == "fit":
        est.fit(X, y, sample_weight=sw)
    elif mode == "warm_start":
        est.fit(X, y, sample_weight=sw)
        if warm_start_max_iter is not None:
            est.set_params(max_iter=warm_start_max_iter)
        est.fit(X, y, sample_weight=sw)
    elif mode == "partial_fit":
        is_clf = hasattr(est, "predict_proba")
        for i, idx in enumerate(_partial_fit_chunks(y)):
            kwargs = {}
            if sw is not None:
                kwargs["sample_weight"] = sw[idx]
            if is_clf and i == 0:
                kwargs["classes"] = np.unique(y)
            est.partial_fit(X[idx], y[idx], **kwargs)
        # one more pass over everything
        est.partial_fit(X, y, sample_weight=sw)
    else:  # pragma: no cover
        raise ValueError(mode)
    return est


def _assert_close(actual, desired, what, tol):
    np.testing.assert_allclose(
        np.asarray(actual, dtype=np.float64),
        np.asarray(desired, dtype=np.float64),
        err_msg=what,
        **tol,
    )


def assert_parity(fm, sk, X, y, X_eval, *, float32=False, loss_scale=1.0,
                  check_loss=True):
    """Compare the fitted state and the predictions of fastmlp (fm) with
    scikit-learn (sk)."""
    params_tol = TOL32_PARAMS if float32 else TOL64
    out_tol = TOL32_OUTPUTS if float32 else TOL64

    assert fm.n_iter_ == sk.n_iter_, f"n_iter_: {fm.n_iter_} != {sk.n_iter_}"
    assert fm.t_ == sk.t_, f"t_: {fm.t_} != {sk.t_}"
    assert fm.n_layers_ == sk.n_layers_
    assert fm.n_outputs_ == sk.n_outputs_
    assert fm.out_activation_ == sk.out_activation_
    assert fm.n_features_in_ == sk.n_features_in_
    if hasattr(sk, "classes_"):
        np.testing.assert_array_equal(fm.classes_, sk.classes_)

    assert len(fm.coefs_) == len(sk.coefs_)
    assert len(fm.intercepts_) == len(sk.intercepts_)
    for i, (a, b) in enumerate(zip(fm.coefs_, sk.coefs_)):
        assert a.shape == b.shape, f"coefs_[{i}] shape"
        _assert_close(a, b, f"coefs_[{i}]", params_tol)
    for i, (a, b) in enumerate(zip(fm.intercepts_, sk.intercepts_)):
        assert a.shape == b.shape, f"intercepts_[{i}] shape"
        _assert_close(a, b, f"intercepts_[{i}]", params_tol)

    if check_loss:
        _assert_close(fm.loss_, loss_scale * sk.loss_, "loss_", out_tol)
    for attr in ("loss_curve_", "best_loss_"):
        if not hasattr(sk, attr):
            continue
        sk_val = getattr(sk, attr)
        fm_val = getattr(fm, attr)
        if sk_val is None:
            assert fm_val is None, f"{attr} should be None"
        elif check_loss:
            assert np.shape(fm_val) == np.shape(sk_val), attr
            _assert_close(fm_val, loss_scale * np.asarray(sk_val), attr, out_tol)
    for attr in ("validation_scores_", "best_validation_score_"):
        if not hasattr(sk, attr):
            continue
        sk_val = getattr(sk, attr)
        fm_val = getattr(fm, attr)
        if sk_val is None:
            assert fm_val is None, f"{attr} should be None"
        else:
            assert np.shape(fm_val) == np.shape(sk_val), attr
            _assert_close(fm_val, sk_val, attr, out_tol)

    for name, data in (("train", X), ("eval", X_eval)):
        fm_pred = fm.predict(data)
        sk_pred = sk.predict(data)
        assert fm_pred.shape == sk_pred.shape
        if hasattr(sk, "classes_"):
            sk_proba = sk.predict_proba(data)
            fm_proba = fm.predict_proba(data)
            assert fm_proba.shape == sk_proba.shape
            _assert_close(fm_proba, sk_proba, f"predict_proba ({name})", out_tol)
            if float32:
                # ignore samples whose predicted probability is within the
                # float32 noise of the decision threshold
                if sk.n_outputs_ == 1 or sk.out_activation_ == "logistic":
                    margin = np.abs(sk_proba - 0.5)
                    ok = margin.min(axis=1) > 1e-3 if margin.ndim == 2 else margin > 1e-3
                else:
                    top2 = np.sort(sk_proba, axis=1)[:, -2:]
                    ok = (top2[:, 1] - top2[:, 0]) > 1e-3
                np.testing.assert_array_equal(fm_pred[ok], sk_pred[ok])
            else:
                np.testing.assert_array_equal(fm_pred, sk_pred)
            np.testing.assert_allclose(
                np.exp(fm.predict_log_proba(data)),
                sk_proba,
                err_msg=f"predict_log_proba ({name})",
                **out_tol,
            )
        else:
            _assert_close(fm_pred, sk_pred, f"predict ({name})", out_tol)
    _assert_close(fm.score(X, y), sk.score(X, y), "score", out_tol)


def _run_case(task, params, mode="fit", sample_weight=False, sparse=False,
              dtype=np.float64, warm_start_max_iter=None):
    X, y, X_eval, sw = _data(task, dtype)
    if not sample_weight:
        sw = None
    if sparse:
        fmt = sp.csc_matrix if sparse == "csc" else sp.csr_matrix
        X = fmt(X)
        X_eval = fmt(X_eval)
    fm, sk = _make_pair(task, params)
    _fit(sk, mode, X, y, sw, warm_start_max_iter)
    _fit(fm, mode, X, y, sw, warm_start_max_iter)
    assert_parity(
        fm,
        sk,
        X,
        y,
        X_eval,
        float32=dtype == np.float32,
        loss_scale=_loss_scale(task, params),
    )
    return fm, sk


# --------------------------------------------------------------------------
# parametrisations
# --------------------------------------------------------------------------

SGD = dict(solver="sgd", learning_rate_init=0.05, max_iter=10, batch_size=16)
ADAM = dict(solver="adam", learning_rate_init=0.01, max_iter=10, batch_size=16)
# L-BFGS trajectories amplify rounding differences quickly (line searches),
# so the iteration counts are kept moderate (see the tanh case for 50).
LBFGS = dict(solver="lbfgs", max_iter=20, alpha=1e-2)
BASE = dict(hidden_layer_sizes=(7,), alpha=1e-3, random_state=0)


def _case(id_, task, *, mode="fit", sample_weight=False, sparse=False,
          warm_start_max_iter=None, **params):
    p = dict(BASE)
    p.update(params)
    return pytest.param(
        task,
        p,
        mode,
        sample_weight,
        sparse,
        warm_start_max_iter,
        id=id_,
    )


CASES = [
    # ---- SGD momentum variants (constant learning rate) -------------------
    _case("sgd-momentum0-multiclass", "multiclass", **SGD, momentum=0.0),
    _case("sgd-momentum0-regression", "regression", **SGD, momentum=0.0),
    _case("sgd-momentum0.9-classic-regression", "regression", **SGD,
          momentum=0.9, nesterovs_momentum=False),
    _case("sgd-momentum0.9-classic-binary", "binary", **SGD,
          momentum=0.9, nesterovs_momentum=False),
    _case("sgd-nesterov-binary", "binary", **SGD, momentum=0.9,
          nesterovs_momentum=True),
    _case("sgd-nesterov-multiclass", "multiclass", **SGD, momentum=0.5,
          nesterovs_momentum=True),
    # ---- learning rate schedules ------------------------------------------
    _case("sgd-invscaling-multiclass", "multiclass",
          **{**SGD, "learning_rate_init": 0.2}, learning_rate="invscaling",
          power_t=0.25),
    _case("sgd-invscaling-regression-momentum0", "regression",
          **{**SGD, "learning_rate_init": 0.1}, learning_rate="invscaling",
          power_t=0.5, momentum=0.0),
    # learning_rate only applies to 'sgd'
    _case("adam-ignores-invscaling-binary", "binary", **ADAM,
          learning_rate="invscaling"),
    _case("adam-ignores-invscaling-regression", "regression", **ADAM,
          learning_rate="invscaling", power_t=0.25),
    _case("adam-ignores-adaptive-stops-regression", "regression",
          **{**ADAM, "max_iter": 100}, learning_rate="adaptive", tol=1e-2,
          n_iter_no_change=2),
    # ---- adam -------------------------------------------------------------
    _case("adam-binary", "binary", **ADAM),
    _case("adam-multiclass", "multiclass", **ADAM, beta_1=0.8, beta_2=0.99,
          epsilon=1e-7),
    _case("adam-regression", "regression", **ADAM),
    # ---- lbfgs ------------------------------------------------------------
    _case("lbfgs-binary", "binary", **LBFGS),
    _case("lbfgs-multiclass-2hidden", "multiclass", **LBFGS,
          hidden_layer_sizes=(6, 5)),
    _case("lbfgs-tanh-regression-50iter", "regression", **{**LBFGS, "max_iter": 50},
          activation="tanh"),
    _case("lbfgs-binary-max_fun", "binary", **LBFGS, max_fun=12),
    _case("lbfgs-regression-converged-tol", "regression",
          **{**LBFGS, "max_iter": 200}, tol=1e-2),
    # ---- other outputs ----------------------------------------------------
    _case("sgd-multilabel", "multilabel", **SGD),
    _case("adam-multilabel", "multilabel", **ADAM),
    _case("lbfgs-multilabel", "multilabel", **LBFGS),
    _case("sgd-regression_2out", "regression_2out", **SGD, alpha=0.0),
    _case("adam-regression_2out", "regression_2out", **ADAM, alpha=0.0),
    _case("sgd-poisson", "poisson", **{**SGD, "learning_rate_init": 0.01}),
    _case("adam-poisson", "poisson", **ADAM),
    _case("lbfgs-poisson", "poisson", **LBFGS),
    # ---- tol based stopping actually triggers -----------------------------
    _case("adam-stops-on-tol-multiclass", "multiclass",
          **{**ADAM, "max_iter": 200}, tol=5e-3, n_iter_no_change=2),
    _case("sgd-stops-on-tol-regression", "regression",
          **{**SGD, "max_iter": 200}, tol=5e-3, n_iter_no_change=3),
    # (k > 1 outputs: see test_multioutput_stops_on_reported_loss)
    # ---- early stopping (validation_scores_) ------------------------------
    _case("sgd-early_stopping-binary", "binary", **{**SGD, "max_iter": 40},
          early_stopping=True, validation_fraction=0.2, n_iter_no_change=3),
    _case("adam-early_stopping-multiclass", "multiclass",
          **{**ADAM, "max_iter": 40}, early_stopping=True,
          validation_fraction=0.2, n_iter_no_change=3),
    _case("adam-early_stopping-regression", "regression",
          **{**ADAM, "max_iter": 40}, early_stopping=True, n_iter_no_change=3),
    _case("sgd-early_stopping-regression_2out", "regression_2out",
          **{**SGD, "max_iter": 40}, alpha=0.0, early_stopping=True,
          validation_fraction=0.2, n_iter_no_change=2),
    _case("adam-early_stopping-multilabel", "multilabel",
          **{**ADAM, "max_iter": 30}, early_stopping=True,
          validation_fraction=0.2),
    _case("sgd-early_stopping-sample_weight-multiclass", "multiclass",
          **{**SGD, "max_iter": 30}, early_stopping=True,
          validation_fraction=0.2, sample_weight=True),
    _case("adam-early_stopping-sample_weight-poisson", "poisson",
          **{**ADAM, "max_iter": 30}, early_stopping=True, sample_weight=True),
    # ---- sample weights ---------------------------------------------------
    _case("sgd-sample_weight-multiclass", "multiclass", **SGD, sample_weight=True),
    _case("adam-sample_weight-regression", "regression", **ADAM,
          sample_weight=True),
    _case("lbfgs-sample_weight-binary", "binary", **LBFGS, sample_weight=True),
    _case("lbfgs-sample_weight-poisson", "poisson", **LBFGS, sample_weight=True),
    _case("adam-sample_weight-multilabel", "multilabel", **ADAM,
          sample_weight=True),
    _case("sgd-sample_weight-regression_2out", "regression_2out", **SGD,
          alpha=0.0, sample_weight=True),
    # ---- warm start -------------------------------------------------------
    _case("sgd-warm_start-multiclass", "multiclass", **SGD, warm_start=True,
          mode="warm_start"),
    _case("adam-warm_start-regression", "regression", **ADAM, warm_start=True,
          mode="warm_start", warm_start_max_iter=6),
    _case("lbfgs-warm_start-binary", "binary", **LBFGS, warm_start=True,
          mode="warm_start"),
    _case("lbfgs-warm_start-poisson", "poisson", **{**LBFGS, "max_iter": 15},
          warm_start=True, mode="warm_start"),
    _case("sgd-warm_start-sample_weight-binary", "binary", **SGD,
          warm_start=True, mode="warm_start", sample_weight=True),
    # ---- partial_fit sequences --------------------------------------------
    _case("sgd-partial_fit-multiclass", "multiclass", **SGD, mode="partial_fit"),
    _case("adam-partial_fit-binary", "binary", **ADAM, mode="partial_fit"),
    _case("sgd-partial_fit-regression", "regression", **SGD, mode="partial_fit"),
    _case("adam-partial_fit-poisson", "poisson", **ADAM, mode="partial_fit"),
    _case("sgd-partial_fit-sample_weight-multiclass", "multiclass", **SGD,
          mode="partial_fit", sample_weight=True),
    _case("adam-partial_fit-regression_2out", "regression_2out", **ADAM,
          alpha=0.0, mode="partial_fit"),
    _case("sgd-invscaling-partial_fit-regression", "regression",
          **{**SGD, "learning_rate_init": 0.1}, learning_rate="invscaling",
          mode="partial_fit"),
    # ---- sparse CSR input -------------------------------------------------
    _case("sgd-sparse-multiclass", "multiclass", **SGD, sparse=True),
    _case("adam-sparse-regression", "regression", **ADAM, sparse=True),
    _case("lbfgs-sparse-binary", "binary", **LBFGS, sparse=True),
    _case("sgd-sparse-sample_weight-regression", "regression", **SGD,
          sparse=True, sample_weight=True),
    _case("adam-sparse-partial_fit-multiclass", "multiclass", **ADAM,
          sparse=True, mode="partial_fit"),
    _case("sgd-sparse_csc-early_stopping-multiclass", "multiclass",
          **{**SGD, "max_iter": 20}, sparse="csc", early_stopping=True,
          validation_fraction=0.2),
    _case("lbfgs-sparse_csc-regression", "regression", **LBFGS, sparse="csc"),
    # ---- batch size / shuffle ---------------------------------------------
    _case("sgd-batch7-multiclass", "multiclass", **{**SGD, "batch_size": 7}),
    _case("adam-batch1-regression", "regression",
          **{**ADAM, "batch_size": 1, "max_iter": 5, "learning_rate_init": 1e-3}),
    _case("sgd-batch_auto-binary", "binary", **{**SGD, "batch_size": "auto"}),
    _case("adam-batch_auto-multilabel", "multilabel",
          **{**ADAM, "batch_size": "auto"}),
    _case("sgd-noshuffle-binary", "binary", **SGD, shuffle=False),
    _case("adam-noshuffle-regression", "regression", **ADAM, shuffle=False),
    _case("sgd-noshuffle-early_stopping-multiclass", "multiclass",
          **{**SGD, "max_iter": 30}, shuffle=False, early_stopping=True,
          validation_fraction=0.2),
    # ---- misc parameters --------------------------------------------------
    _case("adam-hidden_int-multiclass", "multiclass", **ADAM,
          hidden_layer_sizes=9),
    _case("sgd-3hidden-regression", "regression", **SGD,
          hidden_layer_sizes=(6, 5, 4)),
    _case("adam-alpha0-binary", "binary", **ADAM, alpha=0.0),
    _case("sgd-large_alpha-multiclass", "multiclass", **SGD, alpha=1.0),
    _case("adam-random_state7-regression", "regression", **ADAM,
          random_state=7),
]


@pytest.mark.parametrize(
    "task, params, mode, sample_weight, sparse, warm_start_max_iter", CASES
)
def test_parity(task, params, mode, sample_weight, sparse, warm_start_max_iter):
    _run_case(
        task,
        params,
        mode=mode,
        sample_weight=sample_weight,
        sparse=sparse,
        warm_start_max_iter=warm_start_max_iter,
    )


# --------------------------------------------------------------------------
# each activation with each solver (two hidden layers)
# --------------------------------------------------------------------------

ACTIVATIONS = ["identity", "logistic", "tanh", "relu"]
SOLVER_TASKS = [
    ("sgd", "multiclass"),
    ("sgd", "regression"),
    ("adam", "binary"),
    ("adam", "poisson"),
    ("lbfgs", "multiclass"),
    ("lbfgs", "regression"),
]


@pytest.mark.parametrize("solver, task", SOLVER_TASKS, ids=lambda v: str(v))
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_parity_activations(activation, solver, task):
    params = dict(BASE, hidden_layer_sizes=(6, 5), activation=activation)
    params.update({"sgd": SGD, "adam": ADAM, "lbfgs": LBFGS}[solver])
    if solver == "sgd" and activation == "logistic":
        params["learning_rate_init"] = 0.2
    if task == "poisson":
        params["learning_rate_init"] = 0.005
    _run_case(task, params)


# --------------------------------------------------------------------------
# adaptive learning rate: make sure the rate is actually reduced
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "task, extra",
    [
        ("multiclass", {}),
        ("regression", {"nesterovs_momentum": False}),
        ("regression_2out", {"alpha": 0.0, "momentum": 0.0}),
        ("binary", {"early_stopping": True, "validation_fraction": 0.2}),
    ],
    ids=["multiclass", "regression", "regression_2out", "binary-early_stopping"],
)
def test_parity_adaptive_learning_rate(task, extra):
    # With a huge tol no epoch counts as an improvement, so with
    # n_iter_no_change=1 the learning rate is divided by 5 every 2 epochs.
    params = dict(
        BASE,
        **{**SGD, "learning_rate_init": 0.1, "max_iter": 12},
        learning_rate="adaptive",
        tol=10.0,
        n_iter_no_change=1,
    )
    params.update(extra)
    fm, sk = _run_case(task, params)
    # the configuration really exercised the adaptive schedule
    assert sk._optimizer.learning_rate < params["learning_rate_init"] / 5
    assert sk.n_iter_ == params["max_iter"]


def test_parity_adaptive_learning_rate_stops_when_rate_tiny():
    # The rate is divided by 5 until it falls below 1e-6 and training stops.
    params = dict(
        BASE,
        **{**SGD, "learning_rate_init": 0.01, "max_iter": 100},
        learning_rate="adaptive",
        tol=10.0,
        n_iter_no_change=1,
    )
    fm, sk = _run_case("multiclass", params)
    assert sk.n_iter_ < params["max_iter"]


# --------------------------------------------------------------------------
# float32
# --------------------------------------------------------------------------

CASES32 = [
    _case("f32-sgd-multiclass", "multiclass", **SGD),
    _case("f32-sgd-classic-momentum-regression", "regression", **SGD,
          nesterovs_momentum=False),
    _case("f32-adam-binary", "binary", **ADAM),
    _case("f32-adam-multilabel", "multilabel", **ADAM),
    _case("f32-adam-regression_2out", "regression_2out", **ADAM, alpha=0.0),
    _case("f32-adam-poisson", "poisson", **ADAM),
    _case("f32-lbfgs-multiclass", "multiclass", **{**LBFGS, "max_iter": 15}),
    _case("f32-lbfgs-regression", "regression", **{**LBFGS, "max_iter": 15}),
    _case("f32-sgd-early_stopping-binary", "binary", **{**SGD, "max_iter": 20},
          early_stopping=True, validation_fraction=0.2, n_iter_no_change=20),
    _case("f32-sgd-sample_weight-sparse-regression", "regression", **SGD,
          sample_weight=True, sparse=True),
    _case("f32-sgd-partial_fit-multiclass", "multiclass", **SGD,
          mode="partial_fit"),
    _case("f32-adam-tanh-2hidden-regression", "regression", **ADAM,
          activation="tanh", hidden_layer_sizes=(6, 5)),
]


@pytest.mark.parametrize(
    "task, params, mode, sample_weight, sparse, warm_start_max_iter", CASES32
)
def test_parity_float32(task, params, mode, sample_weight, sparse,
                        warm_start_max_iter):
    fm, sk = _run_case(
        task,
        params,
        mode=mode,
        sample_weight=sample_weight,
        sparse=sparse,
        dtype=np.float32,
        warm_start_max_iter=warm_start_max_iter,
    )
    for arr in fm.coefs_ + fm.intercepts_:
        assert arr.dtype == np.float32
    if task not in CLASSIFICATION_TASKS:
        assert fm.predict(_data(task, np.float32)[2]).dtype == np.float32
    else:
        assert fm.predict_proba(_data(task, np.float32)[2]).dtype == np.float32


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_float32_input_keeps_float32(Estimator, solver):
    task = "multiclass" if Estimator is MLPClassifier else "regression"
    X, y, X_eval, _ = _data(task, np.float32)
    est = Estimator(
        hidden_layer_sizes=(5, 3), solver=solver, max_iter=5, random_state=0
    )
    est.fit(X, y)
    for arr in est.coefs_ + est.intercepts_:
        assert arr.dtype == np.float32
    if Estimator is MLPRegressor:
        assert est.predict(X_eval).dtype == np.float32
    else:
        assert est.predict_proba(X_eval).dtype == np.float32

    est64 = Estimator(
        hidden_layer_sizes=(5, 3), solver=solver, max_iter=5, random_state=0
    )
    est64.fit(X.astype(np.float64), y)
    for arr in est64.coefs_ + est64.intercepts_:
        assert arr.dtype == np.float64


# --------------------------------------------------------------------------
# multi-output squared error: loss reporting and L-BFGS
# --------------------------------------------------------------------------


def _penalty(est, alpha, sw_sum):
    return 0.5 * alpha * sum(
        float(np.dot(c.ravel(), c.ravel())) for c in est.coefs_
    ) / sw_sum


class _SkRecordingRegressor(SkMLPRegressor):
    """scikit-learn's regressor, recording for every call of the (private)
    ``_backprop`` the batch size and the L2 penalty term that scikit-learn
    adds to the reported batch loss.  The fit itself is unchanged."""

    def _backprop(self, X, y, sample_weight, *args):
        sw_sum = X.shape[0] if sample_weight is None else float(np.sum(sample_weight))
        penalty = _penalty(self, self.alpha, sw_sum)
        result = super()._backprop(X, y, sample_weight, *args)
        self._penalty_log.append((X.shape[0], penalty))
        return result


class _SkConsistentRegressor(SkMLPRegressor):
    """scikit-learn's regressor whose ``_backprop`` returns, for k > 1
    squared-error outputs, the objective whose gradient it computes
    (0.5 * sum over outputs of the weighted MSE + the unscaled penalty)
    instead of scikit-learn's output-averaged figure.  With L-BFGS this is
    the loss/gradient pair fastmlp documents handing to L-BFGS-B (README,
    "Differences from scikit-learn"); scikit-learn hands it a loss that
    disagrees with the gradient by the factor k, so its line searches and
    fitted weights differ."""

    def _backprop(self, X, y, sample_weight, *args):
        loss, coef_grads, intercept_grads = super()._backprop(
            X, y, sample_weight, *args
        )
        k = y.shape[1]
        if self.loss == "squared_error" and k > 1:
            sw_sum = X.shape[0] if sample_weight is None else float(np.sum(sample_weight))
            penalty = _penalty(self, self.alpha, sw_sum)
            loss = k * (loss - penalty) + penalty
        return loss, coef_grads, intercept_grads


@pytest.mark.parametrize(
    "params",
    [
        dict(SGD, nesterovs_momentum=False),
        dict(ADAM),
    ],
    ids=["sgd", "adam"],
)
def test_multioutput_squared_error_penalised_loss(params):
    """With alpha > 0 fastmlp reports k * (scikit-learn's data term) + the
    unscaled L2 penalty, i.e. exactly the objective whose gradient both
    implementations descend.  Everything else matches scikit-learn."""
    params = {**BASE, **params, "alpha": 0.05}
    params["n_iter_no_change"] = 1000  # no tol based stopping
    X, y, X_eval, sw = _data("regression_2out")
    k = y.shape[1]

    sk = _SkRecordingRegressor(**params)
    sk._penalty_log = []
    sk.fit(X, y, sample_weight=sw)
    fm = MLPRegressor(**params).fit(X, y, sample_weight=sw)

    assert_parity(fm, sk, X, y, X_eval, check_loss=False)

    # reconstruct the per-epoch penalty contribution of scikit-learn's curve
    log = sk._penalty_log
    n = X.shape[0]
    epoch_penalty = []
    acc, seen = 0.0, 0
    for size, pen in log:
        acc += pen * size
        seen += size
        if seen == n:
            epoch_penalty.append(acc / n)
            acc, seen = 0.0, 0
    assert seen == 0 and len(epoch_penalty) == sk.n_iter_
    expected_curve = k * np.asarray(sk.loss_curve_) - (k - 1) * np.asarray(
        epoch_penalty
    )
    _assert_close(fm.loss_curve_, expected_curve, "loss_curve_", TOL64)
    _assert_close(fm.loss_, expected_curve[-1], "loss_", TOL64)
    _assert_close(fm.best_loss_, expected_curve.min(), "best_loss_", TOL64)


@pytest.mark.parametrize(
    "alpha, sample_weight, max_iter",
    [(0.0, False, 20), (0.05, True, 20), (0.01, False, 40)],
    ids=["alpha0", "alpha0.05-sample_weight", "alpha0.01-40iter"],
)
def test_multioutput_squared_error_lbfgs(alpha, sample_weight, max_iter):
    """L-BFGS on k > 1 squared-error outputs minimises the consistent
    objective (documented difference): compared with scikit-learn's code
    path fed with that objective, and the reported loss_ is the objective
    at the final parameters."""
    params = {**BASE, **LBFGS, "alpha": alpha, "max_iter": max_iter}
    X, y, X_eval, sw = _data("regression_2out")
    if not sample_weight:
        sw = None
    k = y.shape[1]
    ref = _SkConsistentRegressor(**params).fit(X, y, sample_weight=sw)
    fm = MLPRegressor(**params).fit(X, y, sample_weight=sw)
    # ref.loss_ already is the consistent (k-scaled) objective
    assert_parity(fm, ref, X, y, X_eval, loss_scale=1.0)

    # loss_ is the documented objective at the final parameters, computed
    # from scikit-learn's own output-averaged loss function
    sk_view = SkMLPRegressor(**params)
    sk_view.fit(X, y, sample_weight=sw)  # only to get a fitted instance
    sk_view.coefs_ = [c.copy() for c in fm.coefs_]
    sk_view.intercepts_ = [b.copy() for b in fm.intercepts_]
    sw_sum = len(X) if sw is None else sw.sum()
    resid = sk_view.predict(X) - y
    w = np.ones(len(X)) if sw is None else sw
    data = 0.5 * np.sum(w[:, None] * resid**2) / sw_sum  # summed over outputs
    expected = data + _penalty(fm, alpha, sw_sum)
    _assert_close(fm.loss_, expected, "loss_ (objective at final params)", TOL64)
    assert k == 2


def test_multioutput_stops_on_reported_loss():
    """For k > 1 squared-error outputs the tol rule compares the loss fastmlp
    reports (the objective, k times scikit-learn's figure at alpha=0; README,
    "Differences from scikit-learn"): the run stops where scikit-learn's own
    code stops when its loss is the objective, with identical weights."""
    params = {**BASE, **SGD, "max_iter": 200, "alpha": 0.0, "tol": 5e-3,
              "n_iter_no_change": 3}
    X, y, X_eval, sw = _data("regression_2out")
    ref = _SkConsistentRegressor(**params).fit(X, y)
    fm = MLPRegressor(**params).fit(X, y)
    assert fm.n_iter_ < params["max_iter"]  # the tol rule really stopped it
    assert_parity(fm, ref, X, y, X_eval, loss_scale=1.0)
