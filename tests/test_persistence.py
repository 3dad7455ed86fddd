"""Persistence: pickle and joblib round-trips give identical predictions and let
training continue (partial_fit, warm_start) exactly as if never saved; loading a
model saved by another fastmlp version warns."""

import io
import pickle
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal

import fastmlp
from fastmlp import MLPClassifier, MLPRegressor

# Every stochastic solver fastmlp offers (test_solver_list_is_complete keeps the list
# in step with the estimators' parameter constraints).
STOCHASTIC = ["adadelta", "adagrad", "adam", "adamw", "rmsprop", "sgd"]


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_solver_list_is_complete(Est):
    options = Est._parameter_constraints["solver"][0].options
    assert set(options) == set(STOCHASTIC) | {"lbfgs"}


_rng = np.random.RandomState(0)
X = _rng.randn(120, 6)
Y_CLF = (X[:, 0] - X[:, 1] > 0).astype(int) + (X[:, 2] > 0.8)
Y_BIN = (X[:, 0] > 0).astype(int)
Y_MULTILABEL = np.c_[X[:, 0] > 0, X[:, 1] > 0, X[:, 2] > 0].astype(int)
Y_REG = X[:, 0] * 2 - X[:, 3] + 0.1 * _rng.randn(120)
Y_REG2 = np.c_[Y_REG, X[:, 1]]
Y_POI = np.exp(0.3 * X[:, 0])


def _pickle(est):
    return pickle.loads(pickle.dumps(est))


def _pickle_protocol2(est):
    return pickle.loads(pickle.dumps(est, protocol=2))


def _joblib(est):
    buf = io.BytesIO()
    joblib.dump(est, buf)
    buf.seek(0)
    return joblib.load(buf)


def _joblib_file(est):
    import os
    import tempfile

    fd, path = tempfile.mkstemp(suffix=".joblib")
    os.close(fd)
    try:
        joblib.dump(est, path, compress=3)
        return joblib.load(path)
    finally:
        os.remove(path)


def _joblib_mmap(est):
    import os
    import tempfile

    fd, path = tempfile.mkstemp(suffix=".joblib")
    os.close(fd)
    try:
        joblib.dump(est, path)
        # arrays come back as read-only memory maps
        return joblib.load(path, mmap_mode="r")
    finally:
        os.remove(path)  # an open memory map outlives the file name on POSIX


ROUND_TRIPS = {
    "pickle": _pickle,
    "pickle_protocol2": _pickle_protocol2,
    "joblib": _joblib,
    "joblib_compressed_file": _joblib_file,
    "joblib_mmap": _joblib_mmap,
}

CASES = {
    "clf-multiclass": (MLPClassifier, {}, Y_CLF),
    "clf-binary": (MLPClassifier, {}, Y_BIN),
    "clf-multilabel": (MLPClassifier, {}, Y_MULTILABEL),
    "reg": (MLPRegressor, {}, Y_REG),
    "reg-2-outputs": (MLPRegressor, {}, Y_REG2),
    "reg-poisson": (MLPRegressor, {"loss": "poisson"}, Y_POI),
}


def _make(case, solver, **kw):
    Est, extra, y = CASES[case]
    params = dict(
        hidden_layer_sizes=(7, 4), solver=solver, max_iter=4, random_state=0, batch_size=32
    )
    params.update(extra)
    params.update(kw)
    return Est(**params), y


def _assert_same_model(a, b):
    assert type(a) is type(b)
    assert a.get_params() == b.get_params()
    for p, q in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert p.dtype == q.dtype and p.shape == q.shape
        assert_array_equal(p, q)
    for name in (
        "n_iter_",
        "loss_",
        "t_",
        "n_features_in_",
        "n_outputs_",
        "n_layers_",
        "out_activation_",
        "best_loss_",
    ):
        if hasattr(a, name):
            assert getattr(a, name) == getattr(b, name), name
    if hasattr(a, "loss_curve_"):
        assert a.loss_curve_ == b.loss_curve_
    if hasattr(a, "classes_"):
        assert_array_equal(a.classes_, b.classes_)


def _predictions(est, Xp):
    out = [est.predict(Xp)]
    if isinstance(est, MLPClassifier):
        out += [est.predict_proba(Xp), est.predict_log_proba(Xp)]
    return out


@pytest.mark.parametrize("trip", sorted(ROUND_TRIPS))
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_round_trip_identical_predictions(case, solver, trip):
    est, y = _make(case, solver)
    est.fit(X, y)
    loaded = ROUND_TRIPS[trip](est)
    _assert_same_model(est, loaded)
    for p, q in zip(_predictions(est, X), _predictions(loaded, X)):
        assert_array_equal(p, q)
    Xs = sp.csr_matrix(np.where(np.abs(X) > 1, X, 0.0))
    for p, q in zip(_predictions(est, Xs), _predictions(loaded, Xs)):
        assert_array_equal(p, q)
    assert est.score(X, y) == loaded.score(X, y)
    # the original is untouched by being saved
    again, _ = _make(case, solver)
    _assert_same_model(est, again.fit(X, y))


@pytest.mark.parametrize("trip", sorted(ROUND_TRIPS))
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_partial_fit_continues_exactly(case, solver, trip):
    _check_partial_fit_continues(case, solver, trip)


@pytest.mark.parametrize("trip", ["pickle", "joblib"])
@pytest.mark.parametrize("solver", [s for s in STOCHASTIC if s not in ("sgd", "adam")])
@pytest.mark.parametrize("case", ["clf-multiclass", "reg"])
def test_partial_fit_continues_exactly_other_solvers(case, solver, trip):
    """The optimizer state of fastmlp's extra solvers survives a round trip too."""
    _check_partial_fit_continues(case, solver, trip)


def _check_partial_fit_continues(case, solver, trip):
    if case == "clf-multilabel":
        kw = {"classes": np.arange(Y_MULTILABEL.shape[1])}
    elif case.startswith("clf"):
        kw = {"classes": np.unique(CASES[case][2])}
    else:
        kw = {}
    a, y = _make(case, solver)
    b, _ = _make(case, solver)
    a.partial_fit(X, y, **kw)
    b.partial_fit(X, y, **kw)
    b = ROUND_TRIPS[trip](b)
    for _ in range(3):
        a.partial_fit(X, y)
        b.partial_fit(X, y)
        _assert_same_model(a, b)
    # saving again after continuing, and continuing again
    b = ROUND_TRIPS[trip](b)
    a.partial_fit(X[:50], y[:50])
    b.partial_fit(X[:50], y[:50])
    _assert_same_model(a, b)


@pytest.mark.parametrize("trip", sorted(ROUND_TRIPS))
@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_warm_start_continues_exactly(case, solver, trip):
    a, y = _make(case, solver, warm_start=True)
    b, _ = _make(case, solver, warm_start=True)
    a.fit(X, y)
    b = ROUND_TRIPS[trip](b.fit(X, y))
    a.set_params(max_iter=3)
    b.set_params(max_iter=3)
    a.fit(X, y)
    b.fit(X, y)
    _assert_same_model(a, b)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_round_trip_mid_schedule_and_early_stopping(solver):
    """Optimizer schedule state (adaptive learning rate, no-improvement counter,
    early-stopping best parameters) survives a round trip."""
    kw = dict(
        hidden_layer_sizes=(5,),
        solver=solver,
        random_state=0,
        max_iter=6,
        learning_rate="adaptive",
        n_iter_no_change=2,
        tol=10.0,
        warm_start=True,
        early_stopping=True,
        validation_fraction=0.2,
    )
    a = MLPClassifier(**kw).fit(X, Y_CLF)
    b = _pickle(MLPClassifier(**kw).fit(X, Y_CLF))
    a.fit(X, Y_CLF)
    b.fit(X, Y_CLF)
    _assert_same_model(a, b)
    assert a.validation_scores_ == b.validation_scores_
    assert a.best_validation_score_ == b.best_validation_score_


def test_float32_model_round_trip():
    a = MLPRegressor(hidden_layer_sizes=(5,), random_state=0, max_iter=3)
    a.partial_fit(X.astype(np.float32), Y_REG)
    b = _pickle(a)
    assert b.coefs_[0].dtype == np.float32
    assert_array_equal(a.predict(X.astype(np.float32)), b.predict(X.astype(np.float32)))
    a.partial_fit(X.astype(np.float32), Y_REG)
    b.partial_fit(X.astype(np.float32), Y_REG)
    _assert_same_model(a, b)


def test_unfitted_round_trip_and_feature_names():
    pd = pytest.importorskip("pandas")
    est = MLPClassifier(hidden_layer_sizes=(3,), random_state=0, max_iter=3)
    loaded = _pickle(est)
    assert loaded.get_params() == est.get_params()
    assert not hasattr(loaded, "coefs_")
    df = pd.DataFrame(X, columns=[f"c{i}" for i in range(X.shape[1])])
    est.fit(df, Y_CLF)
    loaded = _joblib(est)
    assert list(loaded.feature_names_in_) == list(df.columns)
    assert_array_equal(loaded.predict_proba(df), est.predict_proba(df))


def test_edited_coefs_survive_round_trip():
    est = MLPRegressor(hidden_layer_sizes=(5,), random_state=0, max_iter=3).fit(X, Y_REG)
    est.coefs_[0][0, 0] += 1.0  # in-place edit of a view
    est.intercepts_[1] = est.intercepts_[1] + 0.5  # replaced array
    expected = est.predict(X)
    loaded = _pickle(est)
    assert_array_equal(loaded.predict(X), expected)
    assert_array_equal(est.predict(X), expected)


# ----------------------------------------------------------------------
# Version check on load
# ----------------------------------------------------------------------
OTHER_VERSION = "0.0.1.other"


def _dumps_with_version(est, version, monkeypatch):
    """Pickle `est` as another fastmlp version would: its state with the stored
    fastmlp version replaced."""
    cls = type(est)
    original = cls.__getstate__
    state = original(est)
    keys = [
        k for k, v in state.items() if "fastmlp" in k.lower() and "version" in k.lower()
    ]
    assert keys, (
        f"fastmlp does not store its version in the pickled state "
        f"(keys: {sorted(state)}); expected e.g. '_fastmlp_version'"
    )
    assert state[keys[0]] == fastmlp.__version__

    def patched(self):
        s = original(self)
        for k in keys:
            s[k] = version
        return s

    monkeypatch.setattr(cls, "__getstate__", patched)
    try:
        return pickle.dumps(est)
    finally:
        monkeypatch.setattr(cls, "__getstate__", original)


def _version_warnings(caught):
    return [
        w
        for w in caught
        if issubclass(w.category, UserWarning)
        and "version" in str(w.message).lower()
        and "sklearn" not in type(w.message).__module__.lower()
    ]


@pytest.mark.parametrize("Est,y", [(MLPClassifier, Y_CLF), (MLPRegressor, Y_REG)])
def test_loading_other_fastmlp_version_warns(Est, y, monkeypatch):
    est = Est(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(X, y)
    data = _dumps_with_version(est, OTHER_VERSION, monkeypatch)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = pickle.loads(data)
    found = _version_warnings(caught)
    assert len(found) == 1, f"not one version warning: {[str(w.message) for w in caught]}"
    w = found[0]
    assert w.category is fastmlp.InconsistentVersionWarning
    msg = str(w.message)
    assert OTHER_VERSION in msg and fastmlp.__version__ in msg and Est.__name__ in msg, msg
    # the warning carries the versions, like scikit-learn's
    assert w.message.estimator_name == Est.__name__
    assert w.message.original_version == OTHER_VERSION
    assert w.message.current_version == fastmlp.__version__
    # the model still loads and predicts
    assert_array_equal(loaded.predict(X), est.predict(X))


def test_loading_pickle_without_fastmlp_version_warns(monkeypatch):
    """A pickle from before versions were stored counts as another version."""
    est = MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(X, Y_REG)
    original = MLPRegressor.__getstate__

    def without_version(self):
        s = original(self)
        for k in [k for k in s if "fastmlp" in k.lower() and "version" in k.lower()]:
            del s[k]
        return s

    monkeypatch.setattr(MLPRegressor, "__getstate__", without_version)
    data = pickle.dumps(est)
    monkeypatch.setattr(MLPRegressor, "__getstate__", original)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = pickle.loads(data)
    found = _version_warnings(caught)
    assert len(found) == 1, [str(w.message) for w in caught]
    assert found[0].category is fastmlp.InconsistentVersionWarning
    assert found[0].message.current_version == fastmlp.__version__
    assert found[0].message.original_version != fastmlp.__version__
    assert_array_equal(loaded.predict(X), est.predict(X))


@pytest.mark.parametrize("trip", sorted(ROUND_TRIPS))
def test_same_version_round_trip_does_not_warn(trip):
    est = MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(X, Y_CLF)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = ROUND_TRIPS[trip](est)
    # the stored version does not leak into the loaded estimator's attributes
    assert not [k for k in vars(loaded) if "version" in k.lower()]
    # and a loaded model pickles again with the current version
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _pickle(loaded)


def test_pickle_naming_the_optimizer_state_by_its_former_path_loads():
    """Models pickled when the optimizer state's class was
    fastmlp._multilayer_perceptron._OptimizerState still load and carry on."""
    est = MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, Y_CLF)
    data = pickle.dumps(est, protocol=0)  # protocol 0 names classes as text lines
    new, old = (
        b"fastmlp._stochastic\nOptimizerState\n",
        (b"fastmlp._multilayer_perceptron\n_OptimizerState\n"),
    )
    assert data.count(new) == 1
    loaded = pickle.loads(data.replace(new, old))
    assert type(loaded._optimizer) is type(est._optimizer)
    _assert_same_model(loaded.partial_fit(X, Y_CLF), est.partial_fit(X, Y_CLF))
