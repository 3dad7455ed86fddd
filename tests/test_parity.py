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
import sklearn.neural_network._multilayer_perceptron as sk_mlp_module
from sklearn.datasets import (
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.preprocessing import StandardScaler

from fastmlp import MLPClassifier, MLPRegressor

# predict_log_proba of a saturated binary probability (both libraries)
pytestmark = pytest.mark.filterwarnings(
    "ignore:divide by zero encountered in log:RuntimeWarning"
)

N_SAMPLES = 90
N_FEATURES = 8
CLASSIFICATION_TASKS = ("binary", "binary_imbalanced", "multiclass", "multilabel")

# --------------------------------------------------------------------------
# tolerances
# --------------------------------------------------------------------------
# Both libraries run the same algorithm on the same data from the same initial
# weights; they differ only in the order of floating-point operations (BLAS
# blocking, fused loops), so the fitted states agree to rounding noise
# amplified by the trajectory.  Each tolerance below was set from the worst
# difference measured over every comparison of this file that uses it
# (parameters, losses, validation scores, predictions, probabilities; worst
# and median of the per-quantity max |fastmlp - scikit-learn|), with 10x to
# 60x headroom, so that a systematic error of 1e-7, or in float64 of 1e-10,
# fails.  assert_allclose checks |actual - desired| <= atol + rtol*|desired|:
# atol covers entries near zero (results of cancellation, whose error scales
# with the summands, not with the result), rtol the others.
#
# float64, sgd and adam: worst 2.7e-15, median 1.1e-16 (a few ulps after up to
# 60 epochs of mini-batches); headroom 58x.
TOL64 = dict(rtol=3e-13, atol=3e-14)
# float64, L-BFGS: the line searches and the inverse-Hessian estimate amplify
# rounding differences of the objective: worst 1.3e-12 (a relu network on a
# squared-error objective), median 7e-15, over runs of up to 20 iterations;
# headroom 14x.
TOL64_LBFGS = dict(rtol=1e-10, atol=1e-11)
# float64, the L-BFGS trajectories that amplify most (50 iterations of a tanh
# network; logistic units on a squared-error objective): worst 1.1e-11;
# headroom 17x.  Only the cases passing parity_tol="lbfgs_long" use it.
TOL64_LBFGS_LONG = dict(rtol=1e-9, atol=1e-10)
# float32, sgd and adam: both libraries compute in float32 (ulp 1.2e-7 at 1).
# Parameters: worst 3.6e-7, median 6e-8; headroom 21x.  Outputs (sums over
# the units, predictions up to 5 in magnitude): worst 1.9e-6 (cancellation in
# a 2-output regression), median 2e-8; headroom 14x.
TOL32_PARAMS = dict(rtol=1e-5, atol=4e-6)
TOL32_OUTPUTS = dict(rtol=1e-5, atol=2e-5)
# float32, L-BFGS: both evaluate the objective and its gradient in float32
# (summed in different orders), scipy's L-BFGS-B keeps its iterate in float64
# (scikit-learn's coefs_ even come out float64), and the line searches amplify
# the float32 rounding differences as they amplify float64's: worst 2.1e-6
# (parameters) and 5.6e-6 (probabilities), median 1.5e-6; headroom 13x.
TOL32_LBFGS = dict(rtol=1e-4, atol=5e-5)

NAMED_TOLERANCES = {"lbfgs_long": (TOL64_LBFGS_LONG, TOL64_LBFGS_LONG)}


def _tolerances(solver, float32, name=None):
    """(parameter tolerance, output tolerance) of a comparison."""
    if name is not None:
        return NAMED_TOLERANCES[name]
    if float32:
        if solver == "lbfgs":
            return TOL32_LBFGS, TOL32_LBFGS
        return TOL32_PARAMS, TOL32_OUTPUTS
    if solver == "lbfgs":
        return TOL64_LBFGS, TOL64_LBFGS
    return TOL64, TOL64


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
    elif task == "binary_imbalanced":
        # 75 / 15: a random validation split of 18 rows may hold anything from
        # 0 to 8 minority rows, a stratified one holds 3.
        X, y = make_classification(
            n_samples=N_SAMPLES,
            n_features=N_FEATURES,
            n_informative=5,
            n_redundant=1,
            weights=[0.85],
            random_state=5,
        )
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


# Sparse input: about half of the entries are exact zeros, column EMPTY_COLUMN
# is zero in the training data and in X_eval, and so are the rows EMPTY_ROWS of
# the training data (X_eval's first 20 rows are training rows, so row 5 of
# X_eval is empty too) and row EMPTY_EVAL_ROW of X_eval.
SPARSE_ZERO_FRACTION = 0.5
SPARSE_MAX_DENSITY = 0.5
EMPTY_COLUMN = 2
EMPTY_ROWS = (5, 47)
EMPTY_EVAL_ROW = 31


@lru_cache(maxsize=None)
def _raw_sparse_data(task):
    X, y, X_eval, sample_weight = _raw_data(task)
    rng = np.random.RandomState(7)
    X = np.where(rng.uniform(size=X.shape) < SPARSE_ZERO_FRACTION, 0.0, X)
    X[:, EMPTY_COLUMN] = 0.0
    X[list(EMPTY_ROWS)] = 0.0
    new_rows = X_eval[20:]
    new_rows = np.where(
        rng.uniform(size=new_rows.shape) < SPARSE_ZERO_FRACTION, 0.0, new_rows
    )
    X_eval = np.vstack([X[:20], new_rows])
    X_eval[:, EMPTY_COLUMN] = 0.0
    X_eval[EMPTY_EVAL_ROW] = 0.0
    return X, y, X_eval, sample_weight


def _data(task, dtype=np.float64, sparse=False):
    """X, y, X_eval, sample_weight; with sparse="csr" or "csc" (or True for
    CSR) X and X_eval are sparse matrices of that format with many zeros."""
    if not sparse:
        X, y, X_eval, sw = _raw_data(task)
        return X.astype(dtype), y.copy(), X_eval.astype(dtype), sw.copy()
    X, y, X_eval, sw = _raw_sparse_data(task)
    fmt = sp.csc_matrix if sparse == "csc" else sp.csr_matrix
    X, X_eval = fmt(X.astype(dtype)), fmt(X_eval.astype(dtype))
    for M in (X, X_eval):
        _assert_really_sparse(M)
    return X, y.copy(), X_eval, sw.copy()


def _assert_really_sparse(M):
    """The sparse matrix has many zeros, an all-zero row and an all-zero
    column, so that the sparse code paths meet empty rows and columns."""
    assert sp.issparse(M)
    assert M.nnz < SPARSE_MAX_DENSITY * M.shape[0] * M.shape[1], "too dense"
    assert np.any(M.getnnz(axis=1) == 0), "no empty row"
    assert np.any(M.getnnz(axis=0) == 0), "no empty column"


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


class _EpochRecorder:
    """Mixin for scikit-learn's estimators: keeps a copy of the parameters at
    the end of the last epoch (before early stopping restores the best
    ones).  The fit itself is unchanged."""

    def _update_no_improvement_count(self, early_stopping, X, y, sample_weight):
        super()._update_no_improvement_count(early_stopping, X, y, sample_weight)
        self.last_epoch_params_ = [p.copy() for p in self.coefs_ + self.intercepts_]


class _SkRecordingClassifier(_EpochRecorder, SkMLPClassifier):
    pass


class _SkRecordingRegressorEpochs(_EpochRecorder, SkMLPRegressor):
    pass


def _make_pair(task, params, record_epochs=False):
    params = dict(params)
    if task in CLASSIFICATION_TASKS:
        sk_cls = _SkRecordingClassifier if record_epochs else SkMLPClassifier
        return MLPClassifier(**params), sk_cls(**params)
    params.setdefault("loss", "poisson" if task == "poisson" else "squared_error")
    sk_cls = _SkRecordingRegressorEpochs if record_epochs else SkMLPRegressor
    return MLPRegressor(**params), sk_cls(**params)


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


def _fit_in_mode(est, mode, X, y, sw, warm_start_max_iter=None):
    """Train `est` as `mode` says: "fit"; "warm_start", a second fit (with
    max_iter `warm_start_max_iter` when given); "partial_fit", calls on the
    chunks of _partial_fit_chunks and one more on all rows."""
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


def _flat(arrays):
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])


def assert_parity(
    fm, sk, X, y, X_eval, *, float32=False, loss_scale=1.0, check_loss=True, parity_tol=None
):
    """Compare the fitted state and the predictions of fastmlp (fm) with
    scikit-learn (sk).  `parity_tol` names an entry of NAMED_TOLERANCES; by
    default the tolerances follow the solver and the dtype."""
    params_tol, out_tol = _tolerances(sk.solver, float32, parity_tol)

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

    # float32: a predicted label may differ where scikit-learn's probabilities
    # are within the output tolerance of a tie
    margin = 2 * (out_tol["atol"] + out_tol["rtol"])
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
                if sk.n_outputs_ == 1 or sk.out_activation_ == "logistic":
                    gap = np.abs(sk_proba - 0.5)
                    ok = gap.min(axis=1) > margin if gap.ndim == 2 else gap > margin
                else:
                    top2 = np.sort(sk_proba, axis=1)[:, -2:]
                    ok = (top2[:, 1] - top2[:, 0]) > margin
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


def _run_case(
    task,
    params,
    mode="fit",
    sample_weight=False,
    sparse=False,
    dtype=np.float64,
    warm_start_max_iter=None,
    parity_tol=None,
    record_epochs=False,
):
    X, y, X_eval, sw = _data(task, dtype, sparse)
    if not sample_weight:
        sw = None
    fm, sk = _make_pair(task, params, record_epochs)
    _fit_in_mode(sk, mode, X, y, sw, warm_start_max_iter)
    _fit_in_mode(fm, mode, X, y, sw, warm_start_max_iter)
    assert_parity(
        fm,
        sk,
        X,
        y,
        X_eval,
        float32=dtype == np.float32,
        loss_scale=_loss_scale(task, params),
        parity_tol=parity_tol,
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

CASE_OPTIONS = ("mode", "sample_weight", "sparse", "warm_start_max_iter", "parity_tol")


def _case(id_, task, **kwargs):
    """pytest.param(task, estimator parameters, options of _run_case); the
    keywords CASE_OPTIONS go to _run_case, the others to the estimators."""
    options = {k: kwargs.pop(k) for k in CASE_OPTIONS if k in kwargs}
    p = dict(BASE)
    p.update(kwargs)
    return pytest.param(task, p, options, id=id_)


CASES = [
    # ---- SGD momentum variants (constant learning rate) -------------------
    _case("sgd-momentum0-multiclass", "multiclass", **SGD, momentum=0.0),
    _case("sgd-momentum0-regression", "regression", **SGD, momentum=0.0),
    _case(
        "sgd-momentum0.9-classic-regression",
        "regression",
        **SGD,
        momentum=0.9,
        nesterovs_momentum=False,
    ),
    _case(
        "sgd-momentum0.9-classic-binary",
        "binary",
        **SGD,
        momentum=0.9,
        nesterovs_momentum=False,
    ),
    _case("sgd-nesterov-binary", "binary", **SGD, momentum=0.9, nesterovs_momentum=True),
    _case(
        "sgd-nesterov-multiclass",
        "multiclass",
        **SGD,
        momentum=0.5,
        nesterovs_momentum=True,
    ),
    # ---- learning rate schedules ------------------------------------------
    _case(
        "sgd-invscaling-multiclass",
        "multiclass",
        **{**SGD, "learning_rate_init": 0.2},
        learning_rate="invscaling",
        power_t=0.25,
    ),
    _case(
        "sgd-invscaling-regression-momentum0",
        "regression",
        **{**SGD, "learning_rate_init": 0.1},
        learning_rate="invscaling",
        power_t=0.5,
        momentum=0.0,
    ),
    # learning_rate only applies to 'sgd'
    _case("adam-ignores-invscaling-binary", "binary", **ADAM, learning_rate="invscaling"),
    _case(
        "adam-ignores-invscaling-regression",
        "regression",
        **ADAM,
        learning_rate="invscaling",
        power_t=0.25,
    ),
    _case(
        "adam-ignores-adaptive-stops-regression",
        "regression",
        **{**ADAM, "max_iter": 100},
        learning_rate="adaptive",
        tol=1e-2,
        n_iter_no_change=2,
    ),
    # ---- adam -------------------------------------------------------------
    _case("adam-binary", "binary", **ADAM),
    _case("adam-multiclass", "multiclass", **ADAM, beta_1=0.8, beta_2=0.99, epsilon=1e-7),
    _case("adam-regression", "regression", **ADAM),
    # ---- lbfgs ------------------------------------------------------------
    _case("lbfgs-binary", "binary", **LBFGS),
    _case("lbfgs-multiclass-2hidden", "multiclass", **LBFGS, hidden_layer_sizes=(6, 5)),
    _case(
        "lbfgs-tanh-regression-50iter",
        "regression",
        **{**LBFGS, "max_iter": 50},
        activation="tanh",
        parity_tol="lbfgs_long",
    ),
    _case("lbfgs-binary-max_fun", "binary", **LBFGS, max_fun=12),
    _case(
        "lbfgs-regression-converged-tol",
        "regression",
        **{**LBFGS, "max_iter": 200},
        tol=1e-2,
    ),
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
    _case(
        "adam-stops-on-tol-multiclass",
        "multiclass",
        **{**ADAM, "max_iter": 200},
        tol=5e-3,
        n_iter_no_change=2,
    ),
    _case(
        "sgd-stops-on-tol-regression",
        "regression",
        **{**SGD, "max_iter": 200},
        tol=5e-3,
        n_iter_no_change=3,
    ),
    # (k > 1 outputs: see test_multioutput_stops_on_reported_loss)
    # (early stopping: see EARLY_STOPPING_CASES)
    # ---- sample weights ---------------------------------------------------
    _case("sgd-sample_weight-multiclass", "multiclass", **SGD, sample_weight=True),
    _case("adam-sample_weight-regression", "regression", **ADAM, sample_weight=True),
    _case("lbfgs-sample_weight-binary", "binary", **LBFGS, sample_weight=True),
    _case("lbfgs-sample_weight-poisson", "poisson", **LBFGS, sample_weight=True),
    _case("adam-sample_weight-multilabel", "multilabel", **ADAM, sample_weight=True),
    _case(
        "sgd-sample_weight-regression_2out",
        "regression_2out",
        **SGD,
        alpha=0.0,
        sample_weight=True,
    ),
    # ---- warm start -------------------------------------------------------
    _case(
        "sgd-warm_start-multiclass", "multiclass", **SGD, warm_start=True, mode="warm_start"
    ),
    _case(
        "adam-warm_start-regression",
        "regression",
        **ADAM,
        warm_start=True,
        mode="warm_start",
        warm_start_max_iter=6,
    ),
    _case("lbfgs-warm_start-binary", "binary", **LBFGS, warm_start=True, mode="warm_start"),
    _case(
        "lbfgs-warm_start-poisson",
        "poisson",
        **{**LBFGS, "max_iter": 15},
        warm_start=True,
        mode="warm_start",
    ),
    _case(
        "sgd-warm_start-sample_weight-binary",
        "binary",
        **SGD,
        warm_start=True,
        mode="warm_start",
        sample_weight=True,
    ),
    # ---- partial_fit sequences --------------------------------------------
    _case("sgd-partial_fit-multiclass", "multiclass", **SGD, mode="partial_fit"),
    _case("adam-partial_fit-binary", "binary", **ADAM, mode="partial_fit"),
    _case("sgd-partial_fit-regression", "regression", **SGD, mode="partial_fit"),
    _case("adam-partial_fit-poisson", "poisson", **ADAM, mode="partial_fit"),
    _case(
        "sgd-partial_fit-sample_weight-multiclass",
        "multiclass",
        **SGD,
        mode="partial_fit",
        sample_weight=True,
    ),
    _case(
        "adam-partial_fit-regression_2out",
        "regression_2out",
        **ADAM,
        alpha=0.0,
        mode="partial_fit",
    ),
    _case(
        "sgd-invscaling-partial_fit-regression",
        "regression",
        **{**SGD, "learning_rate_init": 0.1},
        learning_rate="invscaling",
        mode="partial_fit",
    ),
    # ---- sparse input (see _raw_sparse_data: half zeros, empty rows and an
    # empty column; early stopping on CSC: see EARLY_STOPPING_CASES) ---------
    _case("sgd-sparse-multiclass", "multiclass", **SGD, sparse="csr"),
    _case("adam-sparse-regression", "regression", **ADAM, sparse="csr"),
    _case("lbfgs-sparse-binary", "binary", **LBFGS, sparse="csr"),
    _case(
        "sgd-sparse-sample_weight-regression",
        "regression",
        **SGD,
        sparse="csr",
        sample_weight=True,
    ),
    _case(
        "adam-sparse-partial_fit-multiclass",
        "multiclass",
        **ADAM,
        sparse="csr",
        mode="partial_fit",
    ),
    _case(
        "adam-sparse_csc-sample_weight-binary",
        "binary",
        **ADAM,
        sparse="csc",
        sample_weight=True,
    ),
    _case("lbfgs-sparse_csc-regression", "regression", **LBFGS, sparse="csc"),
    # ---- batch size / shuffle ---------------------------------------------
    _case("sgd-batch7-multiclass", "multiclass", **{**SGD, "batch_size": 7}),
    _case(
        "adam-batch1-regression",
        "regression",
        **{**ADAM, "batch_size": 1, "max_iter": 5, "learning_rate_init": 1e-3},
    ),
    _case("sgd-batch_auto-binary", "binary", **{**SGD, "batch_size": "auto"}),
    _case("adam-batch_auto-multilabel", "multilabel", **{**ADAM, "batch_size": "auto"}),
    _case("sgd-noshuffle-binary", "binary", **SGD, shuffle=False),
    _case("adam-noshuffle-regression", "regression", **ADAM, shuffle=False),
    # ---- misc parameters --------------------------------------------------
    _case("adam-hidden_int-multiclass", "multiclass", **ADAM, hidden_layer_sizes=9),
    _case("sgd-3hidden-regression", "regression", **SGD, hidden_layer_sizes=(6, 5, 4)),
    _case("adam-alpha0-binary", "binary", **ADAM, alpha=0.0),
    _case("sgd-large_alpha-multiclass", "multiclass", **SGD, alpha=1.0),
    _case("adam-random_state7-regression", "regression", **ADAM, random_state=7),
]


@pytest.mark.parametrize("task, params, options", CASES)
def test_parity(task, params, options):
    _run_case(task, params, **options)


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
    # logistic units under a squared-error L-BFGS objective: see TOL64_LBFGS_LONG
    parity_tol = (
        "lbfgs_long"
        if (solver, task, activation) == ("lbfgs", "regression", "logistic")
        else None
    )
    _run_case(task, params, parity_tol=parity_tol)


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
# early stopping: really stops, restores the best weights, stratified split
# --------------------------------------------------------------------------


class _SplitRecorder:
    """Wraps the train_test_split that scikit-learn's MLP module calls for its
    validation split, keeping the random state it was called with."""

    def __init__(self):
        self.calls = []

    def __call__(self, *arrays, **kwargs):
        state = kwargs["random_state"].get_state()
        out = train_test_split(*arrays, **kwargs)
        self.calls.append(dict(kwargs, random_state=state, X_val=out[1]))
        return out


def _validation_rows(call, n_samples, stratify):
    """Indices of the validation rows that train_test_split picks from the
    recorded random state with the given stratify."""
    rs = np.random.RandomState()
    rs.set_state(call["random_state"])
    _, val = train_test_split(
        np.arange(n_samples),
        random_state=rs,
        test_size=call["test_size"],
        stratify=stratify,
    )
    return val


def _es_case(id_, task, *, dtype=np.float64, split_matters=False, **kwargs):
    options = {k: kwargs.pop(k) for k in ("sample_weight", "sparse") if k in kwargs}
    options["dtype"] = dtype
    p = dict(BASE, early_stopping=True, validation_fraction=0.2)
    p.update(kwargs)
    return pytest.param(task, p, options, split_matters, id=id_)


EARLY_STOPPING_CASES = [
    # Every case stops before max_iter, with the best validation score before
    # the last epoch (asserted below).  binary_imbalanced (75 / 15) and
    # multiclass: the stratified and the plain split pick different rows.
    _es_case(
        "sgd-binary_imbalanced",
        "binary_imbalanced",
        **{**SGD, "learning_rate_init": 0.2, "max_iter": 60},
        n_iter_no_change=3,
        split_matters=True,
    ),
    _es_case("sgd-binary", "binary", **{**SGD, "max_iter": 40}, n_iter_no_change=3),
    _es_case(
        "adam-multiclass",
        "multiclass",
        **{**ADAM, "max_iter": 40},
        n_iter_no_change=3,
        split_matters=True,
    ),
    _es_case(
        "adam-sample_weight-multiclass",
        "multiclass",
        **{**ADAM, "max_iter": 40},
        n_iter_no_change=3,
        sample_weight=True,
    ),
    _es_case(
        "sgd-sample_weight-multiclass",
        "multiclass",
        **{**SGD, "max_iter": 30},
        sample_weight=True,
    ),
    _es_case(
        "adam-regression",
        "regression",
        **{**ADAM, "learning_rate_init": 0.05, "max_iter": 60},
        n_iter_no_change=3,
    ),
    _es_case(
        "sgd-regression_2out",
        "regression_2out",
        **{**SGD, "max_iter": 40},
        alpha=0.0,
        n_iter_no_change=2,
    ),
    _es_case("adam-multilabel", "multilabel", **{**ADAM, "max_iter": 30}),
    _es_case(
        "adam-sample_weight-poisson",
        "poisson",
        **{**ADAM, "max_iter": 60},
        n_iter_no_change=3,
        sample_weight=True,
    ),
    _es_case(
        "sgd-sparse_csc-multiclass", "multiclass", **{**SGD, "max_iter": 30}, sparse="csc"
    ),
    _es_case(
        "sgd-noshuffle-multiclass", "multiclass", **{**SGD, "max_iter": 30}, shuffle=False
    ),
    _es_case(
        "f32-sgd-binary_imbalanced",
        "binary_imbalanced",
        **{**SGD, "learning_rate_init": 0.1, "max_iter": 60},
        n_iter_no_change=5,
        dtype=np.float32,
        split_matters=True,
    ),
    _es_case(
        "f32-adam-regression",
        "regression",
        **{**ADAM, "learning_rate_init": 0.05, "max_iter": 60},
        n_iter_no_change=3,
        dtype=np.float32,
    ),
]


@pytest.mark.parametrize("task, params, options, split_matters", EARLY_STOPPING_CASES)
def test_parity_early_stopping(task, params, options, split_matters, monkeypatch):
    """Early stopping that really stops before max_iter, after the best
    validation score: fastmlp must end on the best epoch's weights that
    scikit-learn restores (compared at the parity tolerance), not on the last
    epoch's; with split_matters, stratifying or not changes the split."""
    recorder = _SplitRecorder()
    monkeypatch.setattr(sk_mlp_module, "train_test_split", recorder)
    fm, sk = _run_case(task, params, record_epochs=True, **options)

    # scikit-learn stopped early, at an epoch after the best one, and the
    # weights it restored are far (beyond 1000x the tolerance) from those of
    # the last epoch, so a fastmlp keeping the last epoch's would fail
    assert sk.n_iter_ < params["max_iter"]
    scores = np.asarray(sk.validation_scores_)
    assert len(scores) == sk.n_iter_
    assert np.argmax(scores) < sk.n_iter_ - 1
    params_tol, _ = _tolerances(sk.solver, options["dtype"] == np.float32)
    restored_shift = np.max(
        np.abs(_flat(sk.coefs_ + sk.intercepts_) - _flat(sk.last_epoch_params_))
    )
    assert restored_shift > 1000 * params_tol["atol"]

    (call,) = recorder.calls
    if split_matters:
        # scikit-learn stratifies the validation split of single-output
        # classifiers only: binary, not multiclass (binarised into one output
        # per class).  The stratified and the plain split pick different rows
        # here, so a fastmlp that made the other choice would train and
        # validate on other rows and fail parity.
        X, y = _data(task, options["dtype"], options.get("sparse", False))[:2]
        stratified = _validation_rows(call, X.shape[0], y)
        plain = _validation_rows(call, X.shape[0], None)
        binary = task in ("binary", "binary_imbalanced")
        assert (call["stratify"] is not None) == binary
        used = plain if call["stratify"] is None else stratified
        # (the recorded random state reproduces scikit-learn's validation rows)
        X_val = call["X_val"]
        if sp.issparse(X):
            X, X_val = X.toarray(), X_val.toarray()
        np.testing.assert_array_equal(X[used], X_val)
        assert set(stratified) != set(plain)
        # ... with other class counts
        counts = [
            np.unique(y[rows], return_counts=True)[1].tolist()
            for rows in (stratified, plain)
        ]
        assert counts[0] != counts[1], counts


def _no_improvement_stop(scores, n_iter_no_change, tie_improves):
    """The epoch (1-based) at which scikit-learn's rule with tol=0 stops on
    these validation scores: more than n_iter_no_change epochs in a row without
    improvement; a score equal to the best so far counts as an improvement when
    `tie_improves` (scikit-learn: score < best + tol is no improvement).  None
    when it never stops."""
    best, count = -np.inf, 0
    for epoch, score in enumerate(scores, 1):
        improved = score >= best if tie_improves else score > best
        count = 0 if improved else count + 1
        best = max(best, score)
        if count > n_iter_no_change:
            return epoch
    return None


@pytest.mark.parametrize(
    "task, solver",
    [("binary", ADAM), ("multiclass", SGD)],
    ids=["adam-binary", "sgd-multiclass"],
)
def test_parity_early_stopping_tie_at_tol_zero(task, solver):
    """With tol=0 a validation score equal to the best so far resets the
    count of epochs without improvement (scikit-learn: only score < best + tol
    counts): here the accuracy reaches a best and then ties it for several
    epochs, so scikit-learn trains on past the epoch where counting the ties
    would have stopped, and stops later; fastmlp stops at the same epoch with
    the same scores."""
    params = dict(
        BASE,
        **{**solver, "max_iter": 60, "learning_rate_init": 0.05},
        early_stopping=True,
        validation_fraction=0.2,
        tol=0.0,
        n_iter_no_change=2,
    )
    fm, sk = _run_case(task, params)
    scores = list(sk.validation_scores_)
    assert fm.n_iter_ == sk.n_iter_
    assert list(fm.validation_scores_) == scores
    stop = _no_improvement_stop(scores, params["n_iter_no_change"], tie_improves=True)
    assert stop == sk.n_iter_ < params["max_iter"]
    ties_stop = _no_improvement_stop(scores, params["n_iter_no_change"], tie_improves=False)
    assert ties_stop is not None and ties_stop < sk.n_iter_, scores


# --------------------------------------------------------------------------
# batch_size='auto': min(200, n_samples)
# --------------------------------------------------------------------------


@pytest.mark.parametrize("n_samples", [230, 300])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_parity_batch_auto_beyond_200_rows(solver, n_samples):
    """batch_size='auto' takes batches of min(200, n_samples) rows: 200 + 30 and
    200 + 100 here (all rows at once, or batches of 256, would train another
    trajectory); the other parity cases have 90 rows, one batch."""
    X, y = make_classification(
        n_samples=n_samples, n_features=N_FEATURES, n_informative=5, random_state=n_samples
    )
    X = StandardScaler().fit_transform(X)
    params = dict(BASE, **{**(SGD if solver == "sgd" else ADAM), "batch_size": "auto"})
    fm, sk = _make_pair("binary", params)
    sk.fit(X, y)
    fm.fit(X, y)
    assert_parity(fm, sk, X, y, X[:20])


# --------------------------------------------------------------------------
# float32
# --------------------------------------------------------------------------

CASES32 = [
    _case("f32-sgd-multiclass", "multiclass", **SGD),
    _case(
        "f32-sgd-classic-momentum-regression", "regression", **SGD, nesterovs_momentum=False
    ),
    _case("f32-adam-binary", "binary", **ADAM),
    _case("f32-adam-multilabel", "multilabel", **ADAM),
    _case("f32-adam-regression_2out", "regression_2out", **ADAM, alpha=0.0),
    _case("f32-adam-poisson", "poisson", **ADAM),
    _case("f32-lbfgs-multiclass", "multiclass", **{**LBFGS, "max_iter": 15}),
    _case("f32-lbfgs-regression", "regression", **{**LBFGS, "max_iter": 15}),
    _case(
        "f32-sgd-sample_weight-sparse-regression",
        "regression",
        **SGD,
        sample_weight=True,
        sparse="csr",
    ),
    _case("f32-sgd-partial_fit-multiclass", "multiclass", **SGD, mode="partial_fit"),
    _case(
        "f32-adam-tanh-2hidden-regression",
        "regression",
        **ADAM,
        activation="tanh",
        hidden_layer_sizes=(6, 5),
    ),
    # (early stopping in float32: see EARLY_STOPPING_CASES)
]


@pytest.mark.parametrize("task, params, options", CASES32)
def test_parity_float32(task, params, options):
    fm, sk = _run_case(task, params, dtype=np.float32, **options)
    for arr in fm.coefs_ + fm.intercepts_:
        assert arr.dtype == np.float32
    X_eval = _data(task, np.float32, options.get("sparse", False))[2]
    if task not in CLASSIFICATION_TASKS:
        assert fm.predict(X_eval).dtype == np.float32
    else:
        assert fm.predict_proba(X_eval).dtype == np.float32


@pytest.mark.parametrize(
    "task, params",
    [
        ("multiclass", dict(SGD, learning_rate_init=3e-8)),
        ("regression", dict(SGD, learning_rate_init=3e-8, momentum=0.0)),
        ("binary", dict(ADAM, learning_rate_init=3e-8)),
        ("regression", dict(ADAM, learning_rate_init=3e-8)),
    ],
    ids=[
        "sgd-nesterov-multiclass",
        "sgd-momentum0-regression",
        "adam-binary",
        "adam-regression",
    ],
)
def test_float32_fit_computes_in_float32(task, params):
    """With learning rates this small every update is below or near half an
    ulp of a float32 weight: float32 arithmetic drops it or rounds it to a
    whole ulp, float64 arithmetic accumulates it.  The update of a weight is
    an elementwise operation, rounded the same way by both libraries, so
    fastmlp's float32 fit must land on scikit-learn's float32 fit, far closer
    than to scikit-learn's float64 fit on the same (float32-representable)
    data; a float32 path that computed in float64 and cast the result would
    land on the latter."""
    params = dict(BASE, **params)
    fm, sk32 = _run_case(task, params, dtype=np.float32)
    X32, y = _data(task, np.float32)[:2]
    sk64 = _make_pair(task, params)[1].fit(X32.astype(np.float64), y)
    # Measured: fastmlp's parameters equal scikit-learn's float32 ones
    # bitwise (mean |diff| 0), and differ from the float64 ones by a mean
    # 1e-7 to 4e-7 (1 to 5 float32 ulps of the weights; max 7e-7 to 1.5e-6).
    # The factor 20 leaves room for a few weights whose rounding goes the
    # other way on another platform (one ulp of one weight moves the mean by
    # less than 1e-9).
    fm_params = _flat(fm.coefs_ + fm.intercepts_)
    to_sk32 = np.mean(np.abs(fm_params - _flat(sk32.coefs_ + sk32.intercepts_)))
    to_sk64 = np.mean(np.abs(fm_params - _flat(sk64.coefs_ + sk64.intercepts_)))
    assert to_sk64 > 20 * to_sk32, (to_sk32, to_sk64)
    assert to_sk64 > 5e-8, to_sk64  # the float64 fit really is elsewhere


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_float32_input_keeps_float32(Estimator, solver):
    task = "multiclass" if Estimator is MLPClassifier else "regression"
    X, y, X_eval, _ = _data(task, np.float32)
    est = Estimator(hidden_layer_sizes=(5, 3), solver=solver, max_iter=5, random_state=0)
    est.fit(X, y)
    for arr in est.coefs_ + est.intercepts_:
        assert arr.dtype == np.float32
    if Estimator is MLPRegressor:
        assert est.predict(X_eval).dtype == np.float32
    else:
        assert est.predict_proba(X_eval).dtype == np.float32

    est64 = Estimator(hidden_layer_sizes=(5, 3), solver=solver, max_iter=5, random_state=0)
    est64.fit(X.astype(np.float64), y)
    for arr in est64.coefs_ + est64.intercepts_:
        assert arr.dtype == np.float64


# --------------------------------------------------------------------------
# multi-output squared error: loss reporting and L-BFGS
# --------------------------------------------------------------------------


def _penalty(est, alpha, sw_sum):
    return (
        0.5 * alpha * sum(float(np.dot(c.ravel(), c.ravel())) for c in est.coefs_) / sw_sum
    )


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
        loss, coef_grads, intercept_grads = super()._backprop(X, y, sample_weight, *args)
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
    expected_curve = k * np.asarray(sk.loss_curve_) - (k - 1) * np.asarray(epoch_penalty)
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
    params = {
        **BASE,
        **SGD,
        "max_iter": 200,
        "alpha": 0.0,
        "tol": 5e-3,
        "n_iter_no_change": 3,
    }
    X, y, X_eval, sw = _data("regression_2out")
    ref = _SkConsistentRegressor(**params).fit(X, y)
    fm = MLPRegressor(**params).fit(X, y)
    assert fm.n_iter_ < params["max_iter"]  # the tol rule really stopped it
    assert_parity(fm, ref, X, y, X_eval, loss_scale=1.0)
