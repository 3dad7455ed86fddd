"""Input validation and failed fits.

Bad input (data, targets, sample weights, parameters) gives a clear ValueError
before any training and leaves the estimator exactly as it was; valid but unusual
input (memory layouts, dtypes, sparse formats, data frames, one sample, one feature)
works and matches the C-contiguous float64 result; a diverging fit raises and keeps
the previous model, while inputs that scikit-learn fits give scikit-learn's model.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.neural_network import MLPClassifier as SkClassifier
from sklearn.neural_network import MLPRegressor as SkRegressor
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted

from fastmlp import MLPClassifier, MLPRegressor
from fastmlp._kernels import _engine

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.DataConversionWarning")

N, P = 40, 4
_rng = np.random.RandomState(0)
X0 = _rng.randn(N, P)
Y_CLF = _rng.randint(0, 3, N)
Y_CLF[:3] = [0, 1, 2]
Y_REG = X0[:, 0] * 2.0 - X0[:, 1] + 0.1 * _rng.randn(N)
Y_POI = np.exp(0.5 * X0[:, 0])
SW0 = _rng.uniform(0.5, 2.0, N)

KINDS = ("clf", "reg", "poisson")


def _y(kind):
    return {"clf": Y_CLF, "reg": Y_REG, "poisson": Y_POI}[kind].copy()


def _make(kind, solver, **kw):
    params = dict(hidden_layer_sizes=(6,), solver=solver, max_iter=3, random_state=0)
    params.update(kw)
    if kind == "clf":
        return MLPClassifier(**params)
    if kind == "poisson":
        return MLPRegressor(loss="poisson", **params)
    return MLPRegressor(**params)


def _fitted(kind, solver, **kw):
    est = _make(kind, solver, **kw)
    est.fit(X0, _y(kind))
    return est


# ----------------------------------------------------------------------
# State snapshots
# ----------------------------------------------------------------------
def _copy(value):
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _state(est):
    """Every public fitted attribute, plus predictions on good data."""
    state = {
        k: _copy(v)
        for k, v in vars(est).items()
        if k.endswith("_") and not k.startswith("_")
    }
    state["__params__"] = est.get_params()
    state["__predict__"] = est.predict(X0)
    if hasattr(est, "predict_proba"):
        state["__proba__"] = est.predict_proba(X0)
    return state


def _assert_same(a, b, where=""):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        assert a.dtype == b.dtype, where
        assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), f"{where}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            _assert_same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, float) and isinstance(b, float) and np.isnan(a):
        assert np.isnan(b), where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _assert_unfitted(est):
    fitted = [k for k in vars(est) if k.endswith("_") and not k.startswith("__")]
    assert fitted == [], f"attributes left on an unfitted estimator: {fitted}"
    private = [k for k in vars(est) if k.startswith("_") and not k.startswith("__")]
    assert private == [], f"private state left on an unfitted estimator: {private}"
    with pytest.raises(NotFittedError):
        check_is_fitted(est)


@pytest.fixture
def training_spy(monkeypatch):
    """Counts calls into the compiled training entry points."""
    calls = {"train_epoch": 0, "loss_grad": 0}

    def wrap(name):
        original = getattr(_engine, name)

        def spy(*args, **kwargs):
            calls[name] += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(_engine, name, spy)

    wrap("train_epoch")
    wrap("loss_grad")
    return calls


@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
def test_training_spy_sees_training(solver, training_spy):
    """Control for the spy: a normal fit does go through the spied entry points."""
    _make("reg", solver).fit(X0, Y_REG)
    assert training_spy["train_epoch"] + training_spy["loss_grad"] > 0


# ----------------------------------------------------------------------
# Bad inputs
# ----------------------------------------------------------------------
def _with(arr, idx, value):
    arr = np.array(arr, dtype=float)
    arr[idx] = value
    return arr


def _case(name, kind, mode):
    """(X, y, fit kwargs, match) for bad-input case `name`, or None when it does not
    apply to this estimator kind / call mode."""
    X, y, kw = X0.copy(), _y(kind), {}
    incremental = mode in ("warm_start", "partial_fit")  # a model exists and is kept
    if name == "X_nan":
        return _with(X, (3, 1), np.nan), y, kw, "X contains NaN"
    if name == "X_inf":
        return _with(X, (5, 2), np.inf), y, kw, "X contains infinity"
    if name == "X_neg_inf":
        return _with(X, (0, 0), -np.inf), y, kw, "X contains infinity"
    if name == "X_sparse_nan":
        return sp.csr_matrix(_with(X, (3, 1), np.nan)), y, kw, "X contains NaN"
    if name == "y_nan":
        return X, _with(y, 4, np.nan), kw, "y contains NaN"
    if name == "y_inf":
        return X, _with(y, 4, np.inf), kw, "y contains infinity"
    if name == "sw_nan":
        sw = _with(SW0, 2, np.nan)
        return X, y, {"sample_weight": sw}, "sample_weight contains NaN"
    if name == "sw_inf":
        sw = _with(SW0, 2, np.inf)
        return X, y, {"sample_weight": sw}, "sample_weight contains infinity"
    if name == "X_1d":
        return X[:, 0], y, kw, "Expected 2D array, got 1D array"
    if name == "X_3d":
        return X[:, :, None], y, kw, "dim 3"
    if name == "X_scalar":
        return 5.0, y, kw, "Expected 2D array, got scalar array"
    if name == "X_ragged":
        ragged = [list(r) for r in X]
        ragged[3] = ragged[3][:2]
        return ragged, y, kw, "inhomogeneous shape"
    if name == "X_complex":
        return X.astype(complex), y, kw, "Complex data not supported"
    if name == "X_non_numeric":
        Xs = X.astype(object)
        Xs[2, 2] = "abc"
        return Xs, y, kw, "could not convert string to float"
    if name == "X_none":
        return None, y, kw, "Expected 2D array"
    if name == "y_none":
        # scikit-learn: "requires y to be passed" (fit), "got None" (first partial_fit)
        return X, None, kw, "y to be passed|got None"
    if name == "y_short":
        return X, y[:-1], kw, "inconsistent numbers of samples"
    if name == "y_long":
        return X, np.r_[y, y[:1]], kw, "inconsistent numbers of samples"
    if name == "y_3d":
        return X, y[:, None, None], kw, "dim 3"
    if name == "y_no_columns":
        return X, np.empty((N, 0)), kw, "0 feature"
    if name == "y_extra_output":
        # a second output column where the fitted network has one: only wrong when
        # the existing network must be kept.
        if kind == "clf" or not incremental:
            return None
        return X, np.c_[y, y], kw, "layer sizes"
    if name == "zero_samples":
        return X[:0], y[:0], kw, "0 sample"
    if name == "zero_features":
        return X[:, :0], y, kw, "0 feature"
    if name == "n_features_changed":
        if not incremental:
            return None  # a fresh fit may change the number of features
        return X[:, :3], y, kw, "X has 3 features, but .* is expecting 4"
    if name == "sw_wrong_length":
        match = r"sample_weight\.shape == \(39,\), expected \(40,\)"
        return X, y, {"sample_weight": SW0[:-1]}, match
    if name == "sw_2d":
        return X, y, {"sample_weight": SW0[:, None]}, "weights must be 1D"
    if name == "sw_negative":
        return X, y, {"sample_weight": _with(SW0, 7, -1.0)}, "sample_weight.*negative"
    if name == "sw_all_zero":
        return X, y, {"sample_weight": np.zeros(N)}, "[Ww]eights.*(non-zero|positive)"
    if name == "sw_scalar_zero":
        return X, y, {"sample_weight": 0.0}, "[Ww]eights.*(non-zero|positive)"
    if name == "one_class":
        # a one-class batch is fine for partial_fit once the classes are known
        if kind != "clf" or mode in ("partial_fit", "unfitted_partial_fit"):
            return None
        match = "same classes" if mode == "warm_start" else "one class|2 classes|at least 2"
        return X, np.zeros(N, dtype=int), kw, match
    if name == "continuous_labels":
        if kind != "clf":
            return None
        return X, Y_REG, kw, "Unknown label type"
    if name == "label_not_in_classes":
        if kind != "clf" or mode not in ("partial_fit", "unfitted_partial_fit"):
            return None
        return X, _with(y, 6, 7).astype(int), kw, "classes not in"
    if name == "warm_start_other_classes":
        if kind != "clf" or mode != "warm_start":
            return None
        return X, np.where(y == 2, 1, y), kw, "same classes"
    if name == "poisson_negative_y":
        if kind != "poisson":
            return None
        return X, _with(y, 9, -0.5), kw, "non-negative targets"
    raise AssertionError(name)


BAD_CASES = [
    "X_nan",
    "X_inf",
    "X_neg_inf",
    "X_sparse_nan",
    "y_nan",
    "y_inf",
    "sw_nan",
    "sw_inf",
    "X_1d",
    "X_3d",
    "X_scalar",
    "X_ragged",
    "X_complex",
    "X_non_numeric",
    "X_none",
    "y_none",
    "y_short",
    "y_long",
    "y_3d",
    "y_no_columns",
    "y_extra_output",
    "zero_samples",
    "zero_features",
    "n_features_changed",
    "sw_wrong_length",
    "sw_2d",
    "sw_negative",
    "sw_all_zero",
    "sw_scalar_zero",
    "one_class",
    "continuous_labels",
    "label_not_in_classes",
    "warm_start_other_classes",
    "poisson_negative_y",
]

MODES = [
    ("unfitted_fit", "adam"),
    ("unfitted_fit", "lbfgs"),
    ("unfitted_partial_fit", "sgd"),
    ("refit", "sgd"),
    ("refit", "lbfgs"),
    ("warm_start", "adam"),
    ("warm_start", "lbfgs"),
    ("partial_fit", "sgd"),
    ("partial_fit", "adam"),
]


def _continue(est, mode):
    """Training after the failed call, the same for the estimator and its twin."""
    if mode in ("partial_fit", "unfitted_partial_fit"):
        kw = {"classes": np.unique(Y_CLF)} if isinstance(est, MLPClassifier) else {}
        kind = "clf" if isinstance(est, MLPClassifier) else est.loss
        y = {"clf": Y_CLF, "squared_error": Y_REG, "poisson": Y_POI}[kind]
        est.partial_fit(X0, y, **kw)
        est.partial_fit(X0, y)
    else:
        y = (
            Y_CLF
            if isinstance(est, MLPClassifier)
            else (Y_POI if est.loss == "poisson" else Y_REG)
        )
        est.set_params(warm_start=True, max_iter=2)
        est.fit(X0, y)


# Only the (case, kind, mode) combinations where the input is bad (see _case).
BAD_INPUT_PARAMS = [
    pytest.param(case, kind, mode, solver, id=f"{case}-{kind}-{mode}-{solver}")
    for case in BAD_CASES
    for kind in KINDS
    for mode, solver in MODES
    if _case(case, kind, mode) is not None
]


@pytest.mark.parametrize("case,kind,mode,solver", BAD_INPUT_PARAMS)
def test_bad_input_raises_before_training_and_keeps_state(
    case, kind, mode, solver, training_spy
):
    X, y, kw, match = _case(case, kind, mode)
    unfitted = mode.startswith("unfitted")
    if unfitted:
        est = _make(kind, solver)
        twin = _make(kind, solver)
        before = None
    else:
        est = _fitted(kind, solver, warm_start=(mode == "warm_start"))
        twin = _fitted(kind, solver, warm_start=(mode == "warm_start"))
        before = _state(est)
    training_spy["train_epoch"] = training_spy["loss_grad"] = 0

    if mode in ("partial_fit", "unfitted_partial_fit"):
        if unfitted and kind == "clf":
            kw = dict(kw, classes=np.unique(Y_CLF))
        call = est.partial_fit
    else:
        call = est.fit
    # scikit-learn raises ValueError for every one of these inputs that it rejects
    with pytest.raises(ValueError, match=match) as excinfo:
        call(X, y, **kw)
    assert str(excinfo.value).strip(), "empty error message"
    assert training_spy == {"train_epoch": 0, "loss_grad": 0}, (
        f"the bad input was detected only after training started: {training_spy}"
    )

    if unfitted:
        _assert_unfitted(est)
    else:
        _assert_same(before, _state(est), "state after the failed call")
    # the estimator goes on exactly as one that never saw the bad call
    _continue(est, mode)
    _continue(twin, mode)
    _assert_same(_state(twin), _state(est), "state after continuing")


PREDICT_BAD = {
    "X_nan": (_with(X0, (1, 1), np.nan), "X contains NaN"),
    "X_inf": (_with(X0, (1, 1), np.inf), "X contains infinity"),
    "X_1d": (X0[:, 0], "Expected 2D array, got 1D array"),
    "X_3d": (X0[:, :, None], "dim 3"),
    "zero_samples": (X0[:0], "0 sample"),
    "n_features_changed": (X0[:, :3], "X has 3 features, but .* is expecting 4"),
    "n_features_changed_sparse": (
        sp.csr_matrix(np.c_[X0, X0]),
        "X has 8 features, but .* is expecting 4",
    ),
    "X_complex": (X0.astype(complex), "Complex data not supported"),
}


@pytest.mark.parametrize("case", sorted(PREDICT_BAD))
@pytest.mark.parametrize("kind", KINDS)
def test_bad_input_to_predict(case, kind):
    est = _fitted(kind, "adam")
    before = _state(est)
    X, match = PREDICT_BAD[case]
    methods = [est.predict] + (
        [est.predict_proba, est.predict_log_proba] if kind == "clf" else []
    )
    for method in methods:
        with pytest.raises(ValueError, match=match):  # as scikit-learn's MLP
            method(X)
    _assert_same(before, _state(est))


def test_partial_fit_first_call_without_classes_or_with_other_classes():
    est = MLPClassifier(hidden_layer_sizes=(4,), random_state=0)
    with pytest.raises(ValueError, match="classes"):
        est.partial_fit(X0, Y_CLF)
    _assert_unfitted(est)
    est.partial_fit(X0, Y_CLF, classes=[0, 1, 2])
    before = _state(est)
    with pytest.raises(ValueError, match="classes"):
        est.partial_fit(X0, Y_CLF, classes=[0, 1, 2, 3])
    _assert_same(before, _state(est))


def test_partial_fit_single_class_in_classes():
    est = MLPClassifier(hidden_layer_sizes=(4,), random_state=0)
    with pytest.raises(ValueError, match="one class|2 classes|at least 2"):
        est.partial_fit(X0, np.zeros(N, dtype=int), classes=[0])
    _assert_unfitted(est)


# ----------------------------------------------------------------------
# Parameter errors
# ----------------------------------------------------------------------
# scikit-learn's parameters, with values of the kinds scikit-learn takes
SKLEARN_INVALID_PARAMS = [
    ("hidden_layer_sizes", (0,)),
    ("hidden_layer_sizes", (5, 0)),
    ("hidden_layer_sizes", (-1,)),
    ("hidden_layer_sizes", (4, -3)),
    ("hidden_layer_sizes", 0),
    ("hidden_layer_sizes", -3),
    ("hidden_layer_sizes", (2.5,)),
    ("hidden_layer_sizes", 1.5),
    ("hidden_layer_sizes", "abc"),
    ("hidden_layer_sizes", None),
    ("activation", "softmax"),
    ("activation", "sigmoid"),
    ("activation", 1),
    ("solver", "newton"),
    ("solver", None),
    ("alpha", -1.0),
    ("alpha", np.nan),
    ("alpha", np.inf),
    ("alpha", "0.1"),
    ("batch_size", 0),
    ("batch_size", -5),
    ("batch_size", np.int64(0)),
    ("batch_size", 2.5),
    ("batch_size", "big"),
    ("learning_rate", "fast"),
    ("learning_rate_init", 0.0),
    ("learning_rate_init", -0.1),
    ("learning_rate_init", np.nan),
    ("learning_rate_init", np.inf),
    ("learning_rate_init", "a"),
    ("power_t", -1.0),
    ("max_iter", 0),
    ("max_iter", -1),
    ("max_iter", 2.0),
    ("max_iter", "10"),
    ("shuffle", "yes"),
    ("shuffle", 1),
    ("random_state", -1),
    ("random_state", "seed"),
    ("random_state", 1.5),
    ("tol", -1e-4),
    ("tol", np.nan),
    ("verbose", -1),
    ("verbose", "loud"),
    ("warm_start", "no"),
    ("momentum", -0.1),
    ("momentum", 1.1),
    ("momentum", np.nan),
    ("nesterovs_momentum", "no"),
    ("early_stopping", "no"),
    ("validation_fraction", 1.0),
    ("validation_fraction", -0.1),
    ("beta_1", 1.0),
    ("beta_1", -0.1),
    ("beta_2", 1.0),
    ("epsilon", 0.0),
    ("epsilon", -1e-8),
    ("n_iter_no_change", 0),
    ("n_iter_no_change", 1.5),
    ("max_fun", 0),
]
# fastmlp's parameters beyond scikit-learn's, and its values beyond scikit-learn's
# (lists) of scikit-learn's parameters
EXTRA_INVALID_PARAMS = [
    ("activation", ["relu", "tanh", "relu"]),  # 3 activations for 1 hidden layer
    ("activation", ["bogus"]),
    ("activation", []),
    ("class_weight", "heavy"),
    ("class_weight", {0: -1.0, 1: 1.0, 2: 1.0}),
    ("class_weight", {0: np.nan, 1: 1.0, 2: 1.0}),
    ("class_weight", {7: 2.0}),
    ("dropout", -0.1),
    ("dropout", 1.0),
    ("dropout", np.nan),
    ("dropout", [0.1, 0.2]),  # 2 rates for 1 hidden layer
    ("dropout", [1.5]),
    ("dropout", "x"),
    ("l1_ratio", -0.1),
    ("l1_ratio", 1.5),
    ("rho", -0.1),
    ("rho", 1.5),
    ("rho", np.nan),
    ("weight_decay", -0.01),
    ("weight_decay", np.nan),
    ("weight_init", "zeros"),
    ("weight_init", None),
    ("huber_delta", 0.0),
    ("huber_delta", -1.0),
    ("out_activation", "softmax"),
    ("out_activation", "bogus"),
    ("loss", "cubic"),
    ("loss", 3),
    ("loss", None),
]
INVALID_PARAMS = SKLEARN_INVALID_PARAMS + EXTRA_INVALID_PARAMS


def _param_id(p):
    return f"{p[0]}={p[1]!r}"


_PARAM_NAMES = {kind: set(_make(kind, "sgd").get_params()) for kind in ("clf", "reg")}
# Only the parameters the estimator has (huber_delta and out_activation are the
# regressor's, class_weight the classifier's).
INVALID_PARAM_CASES = [
    pytest.param(
        name,
        value,
        kind,
        i < len(SKLEARN_INVALID_PARAMS),
        id=f"{kind}-{_param_id((name, value))}",
    )
    for kind in ("clf", "reg")
    for i, (name, value) in enumerate(INVALID_PARAMS)
    if name in _PARAM_NAMES[kind]
]


def _sklearn_rejects_by_its_constraints(kind, name, value):
    """Whether scikit-learn's own MLP declares (name, value) invalid in its parameter
    constraints (InvalidParameterError), before looking at any data."""
    sk = SkClassifier() if kind == "clf" else SkRegressor()
    if name not in sk.get_params():
        return False
    try:
        sk.set_params(**{name: value})._validate_params()
    except InvalidParameterError:
        return True
    return False


@pytest.mark.parametrize("mode", ["fresh", "refit", "warm_start", "partial_fit"])
@pytest.mark.parametrize("name,value,kind,sklearn_value", INVALID_PARAM_CASES)
def test_invalid_parameter_raises_and_keeps_state(
    name, value, kind, sklearn_value, mode, training_spy
):
    solver = "sgd"
    if mode == "fresh":
        est = _make(kind, solver)
    else:
        est = _fitted(kind, solver, warm_start=(mode == "warm_start"))
    before = None if mode == "fresh" else _state(est)
    training_spy["train_epoch"] = training_spy["loss_grad"] = 0
    est.set_params(**{name: value})  # parameters are validated in fit, not set_params
    if mode == "partial_fit" and name == "solver":
        # as in scikit-learn, partial_fit exists for the stochastic solvers only
        with pytest.raises(AttributeError, match="partial_fit"):
            est.partial_fit(X0, _y(kind))
    else:
        with pytest.raises(ValueError, match=name) as excinfo:
            if mode == "partial_fit":
                est.partial_fit(X0, _y(kind))
            else:
                est.fit(X0, _y(kind))
        if sklearn_value and _sklearn_rejects_by_its_constraints(kind, name, value):
            # the same error as scikit-learn's (a ValueError and a TypeError)
            assert excinfo.type is InvalidParameterError, excinfo.value
    assert training_spy == {"train_epoch": 0, "loss_grad": 0}
    if mode == "fresh":
        _assert_unfitted(est)
    else:
        est.set_params(**{name: _make(kind, solver).get_params()[name]})
        if mode == "warm_start":
            est.set_params(warm_start=True)
        _assert_same(before, _state(est))


@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_unknown_parameter_names(Est):
    est = Est()
    with pytest.raises(ValueError, match="bogus"):
        est.set_params(bogus=1)
    with pytest.raises(ValueError, match="hidden_layer_size"):
        est.set_params(hidden_layer_size=(3,))  # a typo
    with pytest.raises(TypeError, match="bogus"):
        Est(bogus=1)
    # a fitted estimator is left alone by a rejected set_params
    est = Est(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(
        X0, Y_CLF if Est is MLPClassifier else Y_REG
    )
    before = _state(est)
    with pytest.raises(ValueError, match="bogus"):
        est.set_params(bogus=1)
    _assert_same(before, _state(est))


@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_early_stopping_with_zero_validation_fraction_names_the_parameter(kind):
    est = _make(kind, "adam", early_stopping=True, validation_fraction=0.0)
    with pytest.raises(ValueError, match="validation_fraction"):
        est.fit(X0, _y(kind))
    _assert_unfitted(est)


@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_partial_fit_rejects_early_stopping_and_keeps_state(kind):
    est = _fitted(kind, "adam")
    before = _state(est)
    est.set_params(early_stopping=True)
    with pytest.raises(ValueError, match="early_stopping"):
        est.partial_fit(X0, _y(kind))
    est.set_params(early_stopping=False)
    _assert_same(before, _state(est))


# ----------------------------------------------------------------------
# Valid but unusual input
# ----------------------------------------------------------------------
SOLVERS = ["sgd", "adam", "lbfgs"]


def _sparse_friendly_X():
    X = X0.copy()
    X[np.abs(X) < 0.6] = 0.0
    return X


def _form(name, tmp_path):
    """(X given to the estimator, the C float64 equivalent, exact?)"""
    X = X0
    if name == "fortran":
        return np.asfortranarray(X), X, True
    if name == "row_slice":
        big = np.repeat(X, 2, axis=0) + 0.0
        big[1::2] = 99.0
        return big[::2], np.ascontiguousarray(big[::2]), True
    if name == "col_slice":
        big = np.repeat(X, 3, axis=1)
        big[:, 1::3] = 99.0
        return big[:, ::3], np.ascontiguousarray(big[:, ::3]), True
    if name == "negative_strides":
        rev = X[::-1, ::-1]
        return rev[::-1, ::-1], X, True
    if name == "transposed_view":
        return np.ascontiguousarray(X.T).T, X, True
    if name == "readonly":
        Xr = X.copy()
        Xr.setflags(write=False)
        return Xr, X, True
    if name == "readonly_fortran_slice":
        big = np.asfortranarray(np.repeat(X, 2, axis=0))
        view = big[::2]
        view.setflags(write=False)
        return view, np.ascontiguousarray(view), True
    if name == "memmap_readonly":
        path = tmp_path / "X.dat"
        mm = np.memmap(path, dtype=np.float64, mode="w+", shape=X.shape)
        mm[...] = X
        mm.flush()
        del mm
        return np.memmap(path, dtype=np.float64, mode="r", shape=X.shape), X, True
    if name == "list":
        return X.tolist(), X, True
    if name == "int":
        Xi = np.round(X * 3).astype(np.int64)
        return Xi, Xi.astype(np.float64), True
    if name == "int32_fortran":
        Xi = np.asfortranarray(np.round(X * 3).astype(np.int32))
        return Xi, np.ascontiguousarray(Xi, dtype=np.float64), True
    if name == "uint8":
        Xi = (np.abs(X) * 10).astype(np.uint8)
        return Xi, Xi.astype(np.float64), True
    if name == "bool":
        Xb = X > 0.2
        return Xb, Xb.astype(np.float64), True
    if name in ("csr", "csc", "coo"):
        Xs = _sparse_friendly_X()
        return getattr(sp, f"{name}_matrix")(Xs), Xs, False
    if name == "csr_array":
        Xs = _sparse_friendly_X()
        return sp.csr_array(Xs), Xs, False
    if name == "csr_int":
        Xi = np.round(_sparse_friendly_X() * 3).astype(np.int64)
        return sp.csr_matrix(Xi), Xi.astype(np.float64), False
    if name == "csr_non_canonical":
        # unsorted column indices and duplicate entries (to be summed)
        Xs = _sparse_friendly_X()
        coo = sp.coo_matrix(Xs)
        half = coo.data / 2
        rows = np.r_[coo.row, coo.row][::-1]
        cols = np.r_[coo.col, coo.col][::-1]
        data = np.r_[half, coo.data - half][::-1]
        order = np.argsort(rows, kind="stable")
        rows, cols, data = rows[order], cols[order], data[order]
        indptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=N))]
        m = sp.csr_matrix((data, cols, indptr), shape=Xs.shape)
        assert not m.has_canonical_format
        return m, Xs, False
    if name == "csr_int64_indices":
        Xs = _sparse_friendly_X()
        m = sp.csr_matrix(Xs)
        m.indices = m.indices.astype(np.int64)
        m.indptr = m.indptr.astype(np.int64)
        return m, Xs, False
    raise AssertionError(name)


FORMS = [
    "fortran",
    "row_slice",
    "col_slice",
    "negative_strides",
    "transposed_view",
    "readonly",
    "readonly_fortran_slice",
    "memmap_readonly",
    "list",
    "int",
    "int32_fortran",
    "uint8",
    "bool",
    "csr",
    "csc",
    "coo",
    "csr_array",
    "csr_int",
    "csr_non_canonical",
    "csr_int64_indices",
]


def _predictions(est, X):
    out = [est.predict(X)]
    if hasattr(est, "predict_proba"):
        out.append(est.predict_proba(X))
    return out


# Sparse input against its dense equivalent: measured bit-identical (rtol 0) for every
# form and solver here; the tolerance leaves room for another summation order only.
SPARSE_RTOL, SPARSE_ATOL = 1e-12, 1e-15


def _assert_models(a, b, exact, rtol=SPARSE_RTOL, atol=SPARSE_ATOL):
    for ca, cb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        if exact:
            assert_array_equal(ca, cb)
        else:
            assert_allclose(ca, cb, rtol=rtol, atol=atol)
    if hasattr(a, "loss_curve_"):
        assert len(a.loss_curve_) == len(b.loss_curve_)
        if exact:
            assert a.loss_curve_ == b.loss_curve_
        else:
            assert_allclose(a.loss_curve_, b.loss_curve_, rtol=rtol, atol=atol)
    assert a.n_iter_ == b.n_iter_


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("kind", ["clf", "reg"])
@pytest.mark.parametrize("form", FORMS)
def test_unusual_input_matches_c_float64(form, kind, solver, tmp_path):
    X, X_ref, exact = _form(form, tmp_path)
    y = _y(kind)
    ref = _make(kind, solver).fit(X_ref, y)
    est = _make(kind, solver).fit(X, y)
    _assert_models(est, ref, exact)
    assert est.coefs_[0].dtype == np.float64
    for p, q in zip(_predictions(est, X), _predictions(ref, X_ref)):
        if exact or p.dtype.kind not in "fc":
            assert_array_equal(p, q)
        else:
            assert_allclose(p, q, rtol=SPARSE_RTOL, atol=SPARSE_ATOL)
    # and prediction on the unusual form by the reference model
    for p, q in zip(_predictions(ref, X), _predictions(ref, X_ref)):
        if exact or p.dtype.kind not in "fc":
            assert_array_equal(p, q)
        else:
            assert_allclose(p, q, rtol=SPARSE_RTOL, atol=SPARSE_ATOL)


@pytest.mark.parametrize("kind", ["clf", "reg"])
@pytest.mark.parametrize(
    "form",
    [
        "fortran",
        "row_slice",
        "readonly",
        "memmap_readonly",
        "csr",
        "csc",
        "coo",
        "int",
        "bool",
    ],
)
def test_unusual_input_partial_fit_and_sample_weight(form, kind, tmp_path):
    X, X_ref, exact = _form(form, tmp_path)
    y = _y(kind)
    sw = SW0.copy()
    sw.setflags(write=False)
    yr = y.copy()
    yr.setflags(write=False)
    kw = {"classes": np.unique(Y_CLF)} if kind == "clf" else {}
    a, b = _make(kind, "adam"), _make(kind, "adam")
    a.partial_fit(X, yr, sample_weight=sw, **kw)
    b.partial_fit(X_ref, y, sample_weight=SW0, **kw)
    a.partial_fit(X, yr, sample_weight=sw)
    b.partial_fit(X_ref, y, sample_weight=SW0)
    _assert_models(a, b, exact)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_float32_closely_matches_float64(kind, solver):
    y = _y(kind)
    ref = _make(kind, solver).fit(X0, y)
    est = _make(kind, solver).fit(X0.astype(np.float32), y)
    assert est.coefs_[0].dtype == np.float32
    # measured: weights within 1.2e-7 and predictions within 6e-7 (absolute) of the
    # float64 model, for every kind and solver here
    for ca, cb in zip(est.coefs_ + est.intercepts_, ref.coefs_ + ref.intercepts_):
        assert_allclose(ca, cb, rtol=1e-5, atol=1e-6)
    for p, q in zip(_predictions(est, X0.astype(np.float32)), _predictions(ref, X0)):
        if p.dtype.kind == "f":
            assert_allclose(p, q, rtol=1e-5, atol=1e-6)
    # float32 Fortran / sliced / sparse float32 give the same float32 model
    X32 = X0.astype(np.float32)
    for X in (np.asfortranarray(X32), np.repeat(X32, 2, axis=0)[::2]):
        other = _make(kind, solver).fit(X, y)
        for ca, cb in zip(other.coefs_ + other.intercepts_, est.coefs_ + est.intercepts_):
            assert_array_equal(ca, cb)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_pandas_dataframe_keeps_feature_names(kind, solver):
    pd = pytest.importorskip("pandas")
    cols = [f"feat_{i}" for i in range(P)]
    df = pd.DataFrame(X0, columns=cols)
    y = _y(kind)
    ref = _make(kind, solver).fit(X0, y)
    est = _make(kind, solver).fit(df, pd.Series(y))
    assert list(est.feature_names_in_) == cols
    assert est.n_features_in_ == P
    _assert_models(est, ref, exact=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no feature-name warning for a DataFrame
        for p, q in zip(_predictions(est, df), _predictions(ref, X0)):
            assert_array_equal(p, q)
    with pytest.warns(UserWarning, match="feature names"):
        est.predict(X0)
    with pytest.raises(ValueError, match="feature names"):
        est.predict(df[cols[::-1]])
    # a mixed-dtype frame (int and float columns)
    mixed = df.copy()
    mixed["feat_0"] = np.round(X0[:, 0] * 3).astype(int)
    Xm = X0.copy()
    Xm[:, 0] = np.round(X0[:, 0] * 3)
    _assert_models(_make(kind, solver).fit(mixed, y), _make(kind, solver).fit(Xm, y), True)


@pytest.mark.parametrize("solver", SOLVERS)
def test_one_sample(solver):
    X1, y1 = X0[:1], Y_REG[:1]
    est = _make("reg", solver).fit(X1, y1)
    sk = SkRegressor(
        hidden_layer_sizes=(6,), solver=solver, max_iter=3, random_state=0
    ).fit(X1, y1)
    pred = est.predict(X1)
    assert pred.shape == (1,)
    assert_allclose(pred, sk.predict(X1), rtol=1e-12)  # measured: identical
    # a single sample to predict matches the same row predicted in a batch
    assert_allclose(est.predict(X0[5:6]), est.predict(X0)[5:6], rtol=1e-12, atol=1e-14)
    if solver != "lbfgs":
        # one-sample partial_fit calls train as scikit-learn's do
        clf = MLPClassifier(hidden_layer_sizes=(6,), solver=solver, random_state=0)
        sk_clf = SkClassifier(hidden_layer_sizes=(6,), solver=solver, random_state=0)
        for model in (clf, sk_clf):
            model.partial_fit(X1, Y_CLF[:1], classes=[0, 1, 2])
            model.partial_fit(X0[1:2], Y_CLF[1:2])
        assert clf.predict_proba(X0[2:3]).shape == (1, 3)
        # measured: within 1.2e-16
        assert_allclose(
            clf.predict_proba(X0), sk_clf.predict_proba(X0), rtol=1e-12, atol=1e-15
        )


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_one_feature(kind, solver):
    X1 = X0[:, :1]
    y = _y(kind)
    est = _make(kind, solver).fit(X1, y)
    Sk = SkClassifier if kind == "clf" else SkRegressor
    sk = Sk(hidden_layer_sizes=(6,), solver=solver, max_iter=3, random_state=0).fit(X1, y)
    # measured: within 1.2e-16 of scikit-learn's weights
    for a, b in zip(est.coefs_ + est.intercepts_, sk.coefs_ + sk.intercepts_):
        assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    assert est.coefs_[0].shape == (1, 6)
    # 1-feature forms: column of a wider array, Fortran, sparse
    for X in (np.c_[X0[:, 0], X0[:, 1]][:, :1], np.asfortranarray(X1)):
        assert_array_equal(_make(kind, solver).fit(X, y).coefs_[0], est.coefs_[0])
    assert_allclose(
        _make(kind, solver).fit(sp.csr_matrix(X1), y).coefs_[0],
        est.coefs_[0],
        rtol=SPARSE_RTOL,
        atol=SPARSE_ATOL,
    )


# ----------------------------------------------------------------------
# Divergence
# ----------------------------------------------------------------------
# (estimator kind, solver, X scale) that are known to diverge with learning_rate_init=1e6
DIVERGING = [
    ("reg", "sgd", 1.0),
    ("reg", "adam", 1e155),
    ("clf", "sgd", 1e10),
    ("clf", "sgd", 1e155),
]


def _div_make(kind, solver, **kw):
    params = dict(
        hidden_layer_sizes=(5,),
        solver=solver,
        max_iter=30,
        random_state=0,
        learning_rate_init=1e6,
    )
    params.update(kw)
    return (MLPClassifier if kind == "clf" else MLPRegressor)(**params)


def _div_y(kind):
    return (X0[:, 0] > 0).astype(int) if kind == "clf" else X0[:, 0] * 3.0


def _check_divergence_error(excinfo):
    msg = str(excinfo.value)
    assert "epoch" in msg.lower()
    assert any(ch.isdigit() for ch in msg), f"the epoch number is missing: {msg}"
    assert "scal" in msg.lower(), f"no advice to scale the inputs: {msg}"
    assert "learning_rate" in msg or "learning rate" in msg, f"no advice on the rate: {msg}"


@pytest.mark.parametrize("kind,solver,scale", DIVERGING)
def test_divergence_from_scratch_leaves_unfitted(kind, solver, scale):
    est = _div_make(kind, solver)
    with pytest.raises(ValueError, match="epoch") as excinfo:
        est.fit(X0 * scale, _div_y(kind))
    _check_divergence_error(excinfo)
    _assert_unfitted(est)


@pytest.mark.parametrize("kind,solver,scale", DIVERGING)
def test_divergence_after_warm_start_keeps_previous_model(kind, solver, scale):
    y = _div_y(kind)
    est = _div_make(kind, solver, learning_rate_init=1e-3, warm_start=True, max_iter=3).fit(
        X0, y
    )
    before = _state(est)
    est.set_params(learning_rate_init=1e6, max_iter=30)
    with pytest.raises(ValueError, match="epoch") as excinfo:
        est.fit(X0 * scale, y)
    _check_divergence_error(excinfo)
    est.set_params(learning_rate_init=1e-3, max_iter=3)
    _assert_same(before, _state(est))
    assert all(np.all(np.isfinite(c)) for c in est.coefs_ + est.intercepts_)


@pytest.mark.parametrize("kind,solver,scale", DIVERGING)
def test_divergence_during_partial_fit_keeps_previous_model(kind, solver, scale):
    y = _div_y(kind)
    est = _div_make(kind, solver)
    kw = {"classes": [0, 1]} if kind == "clf" else {}
    est.partial_fit(X0, y, **kw)  # one epoch on unscaled data: still finite
    assert all(np.all(np.isfinite(c)) for c in est.coefs_ + est.intercepts_)
    raised = False
    for _ in range(30):
        before = _state(est)
        try:
            est.partial_fit(X0 * scale, y)
        except ValueError as exc:
            assert "epoch" in str(exc).lower()
            raised = True
            _assert_same(before, _state(est))
            assert np.all(np.isfinite(est.predict(X0)))
            break
        assert all(np.all(np.isfinite(c)) for c in est.coefs_ + est.intercepts_)
    assert raised, "partial_fit with learning_rate_init=1e6 never diverged"


EXTREME = [
    (kind, solver, scale, lr)
    for kind in ("clf", "reg")
    for solver in ("sgd", "adam", "lbfgs")
    for scale in (1.0, 1e10, 1e155, 1e300)
    for lr in ((1e6,) if solver != "lbfgs" else (1e-3,))
]


def _sklearn_fit_or_none(kind, solver, X, y, lr):
    """scikit-learn's model for the same fit, or None where scikit-learn fails: an
    error, or non-finite weights or loss returned without one."""
    Sk = SkClassifier if kind == "clf" else SkRegressor
    sk = Sk(
        hidden_layer_sizes=(5,),
        solver=solver,
        max_iter=20,
        random_state=0,
        learning_rate_init=lr,
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            sk.fit(X, y)
    except ValueError:
        return None
    finite = all(np.all(np.isfinite(c)) for c in sk.coefs_ + sk.intercepts_)
    return sk if finite and np.isfinite(sk.loss_) else None


@pytest.mark.parametrize("kind,solver,scale,lr", EXTREME)
def test_extreme_inputs_fit_as_sklearn_or_raise(kind, solver, scale, lr):
    """Where scikit-learn fits a finite model, fastmlp fits and gives the same model.
    Where scikit-learn fails, fastmlp raises a ValueError advising to scale the inputs
    and stays unfitted, or returns a finite model (weights and loss): never NaN/inf
    weights without an error (L-BFGS included)."""
    est = _div_make(kind, solver, learning_rate_init=lr, max_iter=20)
    X = X0 * scale
    y = _div_y(kind) * (scale if kind == "reg" and solver == "lbfgs" else 1.0)
    sk = _sklearn_fit_or_none(kind, solver, X, y, lr)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            est.fit(X, y)
    except ValueError as exc:
        assert sk is None, f"scikit-learn fits this input, fastmlp raised: {exc}"
        assert "scal" in str(exc).lower()
        _assert_unfitted(est)
        return
    for c in est.coefs_ + est.intercepts_:
        assert np.all(np.isfinite(c)), "NaN/inf weights returned without an error"
    assert np.all(np.isfinite(est.loss_))
    if hasattr(est, "loss_curve_"):
        assert np.all(np.isfinite(est.loss_curve_))
    if sk is not None:
        # measured: within 3e-12 relative of scikit-learn's weights (the largest
        # differences on the L-BFGS runs), the same iterations and loss
        assert est.n_iter_ == sk.n_iter_
        for a, b in zip(est.coefs_ + est.intercepts_, sk.coefs_ + sk.intercepts_):
            assert_allclose(a, b, rtol=1e-9, atol=1e-12 * np.max(np.abs(b)))
        assert_allclose(est.loss_, sk.loss_, rtol=1e-9)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_zero_weight_mini_batch_is_not_a_divergence(kind, solver):
    """Some zero sample weights are valid; a mini-batch made only of zero-weight
    samples teaches nothing and is not reported as a non-finite loss ("scale your
    inputs"). With one sample per batch, the fit is scikit-learn's fit on the
    positive-weight samples alone (scikit-learn itself cannot fit such weights: it
    divides by the zero weight sum of those batches)."""
    sw = np.ones(N)
    sw[::2] = 0.0
    y = _y(kind)
    est = _make(kind, solver, batch_size=1, shuffle=False)
    est.fit(X0, y, sample_weight=sw)
    Sk = SkClassifier if kind == "clf" else SkRegressor
    sk = Sk(
        hidden_layer_sizes=(6,),
        solver=solver,
        max_iter=3,
        random_state=0,
        batch_size=1,
        shuffle=False,
    ).fit(X0[1::2], y[1::2])
    if kind == "clf":
        assert_array_equal(sk.classes_, est.classes_)
    assert est.n_iter_ == sk.n_iter_ == 3
    # measured: within 1.2e-16
    for a, b in zip(est.coefs_ + est.intercepts_, sk.coefs_ + sk.intercepts_):
        assert a.shape == b.shape
        assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    assert np.all(np.isfinite(est.loss_curve_))
