"""Calls on small inputs: the plain-ndarray path past validate_data, the network
kept with the fitted model, classes_ indexed directly, and the message of a
diverging run.

The plain path (a 2-D float32/float64 numpy.ndarray, the fitted number of
features, no feature names) must give what the generic path gives: every test
here runs the same calls once as they are and once with the plain path switched
off (``_is_plain_X`` patched to say no), and compares results bit for bit and
errors and warnings word for word, and with scikit-learn's own MLP where it
raises on the same input.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor

from fastmlp import MLPClassifier, MLPRegressor
from fastmlp._multilayer_perceptron import BaseMultilayerPerceptron

rng = np.random.RandomState(0)
X = rng.randn(60, 5)
Y_BIN = (X[:, 0] > 0).astype(int)
Y_MULTI = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)
Y_STR = np.array(["cat", "dog", "eel"])[Y_MULTI]
Y_REG = X[:, 0] - 2 * X[:, 1]
Y_REG2 = np.c_[Y_REG, X[:, 2]]

CASES = {
    "binary": (MLPClassifier, SkMLPClassifier, Y_BIN, {}),
    "multiclass": (MLPClassifier, SkMLPClassifier, Y_MULTI, {}),
    "strings": (MLPClassifier, SkMLPClassifier, Y_STR, {}),
    "hinge-binary": (MLPClassifier, None, Y_BIN, {"loss": "hinge"}),
    "hinge-multiclass": (MLPClassifier, None, Y_MULTI, {"loss": "squared_hinge"}),
    "regression": (MLPRegressor, SkMLPRegressor, Y_REG, {}),
    "regression-2": (MLPRegressor, SkMLPRegressor, Y_REG2, {}),
}


def _fitted(case, dtype=np.float64, cls=None):
    Est, Sk, y, extra = CASES[case]
    Est = cls or Est
    est = Est(hidden_layer_sizes=(7,), max_iter=5, random_state=0, **extra)
    return est.fit(X.astype(dtype), y)


@pytest.fixture
def generic_only(monkeypatch):
    """Switches the plain path off: every call goes through validate_data."""

    def off():
        monkeypatch.setattr(
            BaseMultilayerPerceptron,
            "_is_plain_X",
            lambda self, X, finite, reset=False: False,
        )

    return off


def _outputs(est, Xq):
    out = {"predict": est.predict(Xq)}
    for name in ("predict_proba", "decision_function"):
        if hasattr(est, name):
            out[name] = getattr(est, name)(Xq)
    return out


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", sorted(CASES))
def test_plain_and_generic_paths_predict_the_same(case, dtype, generic_only):
    est = _fitted(case, dtype)
    queries = [X[:1], X[:10], X, np.asfortranarray(X), X.astype(np.float32), X[::2]]
    plain = [_outputs(est, q) for q in queries]
    generic_only()
    for q, got in zip(queries, plain):
        want = _outputs(est, q)
        for name in want:
            assert got[name].dtype == want[name].dtype
            assert_array_equal(got[name], want[name], err_msg=name)


def _raised(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            call()
        except Exception as exc:  # noqa: BLE001 - the exception itself is compared
            return type(exc), str(exc), [str(w.message) for w in caught]
    return None, None, [str(w.message) for w in caught]


BAD_PREDICT = {
    "features": lambda: X[:, :4],
    "no-rows": lambda: X[:0],
    "nan": lambda: np.where(np.arange(5) == 2, np.nan, X[:3]),
    "inf": lambda: np.where(np.arange(5) == 1, np.inf, X[:3]),
    "1-D": lambda: X[0],
    "3-D": lambda: X[:4].reshape(2, 2, 5),
    "complex": lambda: X[:3].astype(complex),
}


@pytest.mark.parametrize("bad", sorted(BAD_PREDICT))
@pytest.mark.parametrize("case", ["multiclass", "regression"])
def test_plain_path_errors_are_the_generic_and_sklearn_ones(case, bad, generic_only):
    Est, Sk, y, _ = CASES[case]
    est = _fitted(case)
    sk = Sk(hidden_layer_sizes=(7,), max_iter=5, random_state=0).fit(X, y)
    Xq = BAD_PREDICT[bad]()
    plain = _raised(lambda: est.predict(Xq))
    assert plain[0] is not None
    theirs = _raised(lambda: sk.predict(Xq))
    assert plain[0] is theirs[0] and plain[1] == theirs[1].replace(
        type(sk).__name__, type(est).__name__
    )
    generic_only()
    assert _raised(lambda: est.predict(Xq)) == plain


def test_feature_name_warning_kept(generic_only):
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])
    est = MLPClassifier(hidden_layer_sizes=(7,), max_iter=5, random_state=0).fit(
        df, Y_MULTI
    )
    sk = SkMLPClassifier(hidden_layer_sizes=(7,), max_iter=5, random_state=0).fit(
        df, Y_MULTI
    )
    ours, theirs = _raised(lambda: est.predict(X[:3])), _raised(lambda: sk.predict(X[:3]))
    assert ours[0] is None and theirs[0] is None
    assert [w.replace("MLPClassifier", "") for w in ours[2]] == [
        w.replace("MLPClassifier", "") for w in theirs[2]
    ] and ours[2]
    generic_only()
    assert _raised(lambda: est.predict(X[:3])) == ours


def _partial_fit_run(case, dtype, batches):
    Est, _, y, extra = CASES[case]
    est = Est(hidden_layer_sizes=(7,), random_state=0, **extra)
    kw = {"classes": np.unique(y)} if Est is MLPClassifier else {}
    est.partial_fit(X[:20].astype(dtype), y[:20], **kw)
    for start, stop in batches:
        est.partial_fit(X[start:stop].astype(dtype), y[start:stop])
    return est


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", sorted(CASES))
def test_partial_fit_plain_and_generic_paths_train_the_same(case, dtype, generic_only):
    batches = [(20, 21), (21, 53), (53, 60), (0, 60)]
    plain = _partial_fit_run(case, dtype, batches)
    generic_only()
    generic = _partial_fit_run(case, dtype, batches)
    for a, b in zip(plain.coefs_ + plain.intercepts_, generic.coefs_ + generic.intercepts_):
        assert a.dtype == b.dtype
        assert_array_equal(a, b)
    assert plain.loss_curve_ == generic.loss_curve_


BAD_PARTIAL_FIT = {
    "unknown-class": ("multiclass", lambda: (X[:4], np.array([0, 1, 2, 7]))),
    "string-unknown": ("strings", lambda: (X[:2], np.array(["cat", "fox"]))),
    "nan-X": (
        "multiclass",
        lambda: (np.where(np.arange(5) == 0, np.nan, X[:3]), Y_MULTI[:3]),
    ),
    "inf-X": (
        "regression",
        lambda: (np.where(np.arange(5) == 3, -np.inf, X[:3]), Y_REG[:3]),
    ),
    "nan-y": ("regression", lambda: (X[:3], np.array([0.0, np.nan, 1.0]))),
    "features": ("multiclass", lambda: (X[:3, :4], Y_MULTI[:3])),
    "lengths": ("regression", lambda: (X[:3], Y_REG[:4])),
    "no-rows": ("regression", lambda: (X[:0], Y_REG[:0])),
}


@pytest.mark.parametrize("bad", sorted(BAD_PARTIAL_FIT))
def test_partial_fit_errors_are_the_generic_and_sklearn_ones(bad, generic_only):
    case, make = BAD_PARTIAL_FIT[bad]
    Est, Sk, y, _ = CASES[case]
    kw = {"classes": np.unique(y)} if Est is MLPClassifier else {}
    est = Est(hidden_layer_sizes=(7,), random_state=0).partial_fit(X[:20], y[:20], **kw)
    sk = Sk(hidden_layer_sizes=(7,), random_state=0).partial_fit(X[:20], y[:20], **kw)
    before = [c.copy() for c in est.coefs_]
    Xb, yb = make()
    plain = _raised(lambda: est.partial_fit(Xb, yb))
    assert plain[0] is ValueError
    theirs = _raised(lambda: sk.partial_fit(Xb, yb))
    assert theirs[0] is ValueError
    assert plain[1] == theirs[1].replace(type(sk).__name__, type(est).__name__)
    for a, b in zip(before, est.coefs_):
        assert_array_equal(a, b)  # the failed call changed nothing
    generic_only()
    assert _raised(lambda: est.partial_fit(Xb, yb)) == plain


@pytest.mark.parametrize(
    "case", ["binary", "multiclass", "strings", "hinge-binary", "hinge-multiclass"]
)
def test_predict_indexes_classes_as_the_label_binarizer_would(case):
    est = _fitted(case)
    scores = est._forward_pass_fast(X)
    threshold = None if est.loss == "log_loss" else 0.0
    if scores.shape[1] == 1:
        scores = scores.ravel()
    expected = est._label_binarizer.inverse_transform(scores, threshold=threshold)
    got = est.predict(X)
    assert got.dtype == expected.dtype
    assert_array_equal(got, expected)


def test_kept_network_notices_replaced_arrays_and_parameters():
    est = _fitted("multiclass")
    first = est.predict_proba(X)
    # a replaced array (not a view of the training buffer any more)
    est.coefs_[0] = est.coefs_[0] * 2.0
    doubled = est.predict_proba(X)
    assert not np.array_equal(first, doubled)
    est.coefs_[0] = est.coefs_[0] / 2.0
    assert_array_equal(est.predict_proba(X), first)
    # a replaced list
    est.intercepts_ = [b + 1.0 for b in est.intercepts_]
    shifted = est.predict_proba(X)
    assert not np.array_equal(first, shifted)
    # a hyper-parameter changed after fitting is used, as scikit-learn uses it
    sk = SkMLPClassifier(hidden_layer_sizes=(7,), max_iter=5, random_state=0).fit(
        X, Y_MULTI
    )
    ours = _fitted("multiclass")
    ours.set_params(activation="tanh")
    sk.set_params(activation="tanh")
    np.testing.assert_allclose(
        ours.predict_proba(X), sk.predict_proba(X), rtol=1e-12, atol=1e-13
    )


def test_partial_fit_checks_a_parameter_set_between_calls():
    est = MLPRegressor(hidden_layer_sizes=(7,), random_state=0)
    est.partial_fit(X, Y_REG)
    est.partial_fit(X, Y_REG)
    est.set_params(alpha=-1.0)
    with pytest.raises(ValueError, match="alpha"):
        est.partial_fit(X, Y_REG)
    est.alpha = 1e-4
    est.partial_fit(X, Y_REG)
    est.learning_rate_init = 0.0  # assigned directly, not through set_params
    with pytest.raises(ValueError, match="learning_rate_init"):
        est.partial_fit(X, Y_REG)


@pytest.mark.parametrize("call", ["fit", "partial_fit"])
def test_divergence_message_starts_with_sklearns(call):
    big, y = X * 1e6, Y_REG
    make = dict(solver="sgd", learning_rate_init=1e6, max_iter=5, random_state=0)
    with pytest.raises(ValueError) as theirs:
        SkMLPRegressor(**make).fit(big, y)
    assert "non-finite" in str(theirs.value)
    est = MLPRegressor(**make)
    with pytest.raises(ValueError) as ours:
        for _ in range(5):
            est.fit(big, y) if call == "fit" else est.partial_fit(big, y)
    assert str(ours.value).startswith(str(theirs.value) + " ")
    assert "epoch #" in str(ours.value)


def _fit_both(make_est, Xf, yf, generic_only):
    plain = make_est().fit(Xf, yf)
    generic_only()
    generic = make_est().fit(Xf, yf)
    return plain, generic


@pytest.mark.parametrize("labels", ["as-given", "int32", "uint8", "long-strings"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_fit_plain_and_generic_paths_train_the_same(case, labels, generic_only):
    Est, _, y, extra = CASES[case]
    if labels != "as-given" and (Est is MLPRegressor or case == "strings"):
        pytest.skip("targets of this case are floats or strings already")
    if labels == "long-strings":  # a wider dtype than the labels need
        y = np.array(["a", "bb", "ccc"], dtype="<U9")[y]
    elif labels != "as-given":
        y = y.astype(labels)
    plain, generic = _fit_both(
        lambda: Est(hidden_layer_sizes=(7,), max_iter=4, random_state=0, **extra),
        X,
        y,
        generic_only,
    )
    for a, b in zip(plain.coefs_ + plain.intercepts_, generic.coefs_ + generic.intercepts_):
        assert_array_equal(a, b)
    assert plain.loss_curve_ == generic.loss_curve_
    assert plain.n_features_in_ == generic.n_features_in_
    if Est is MLPClassifier:
        assert plain.classes_.dtype == generic.classes_.dtype
        assert_array_equal(plain.classes_, generic.classes_)
        a, b = plain._label_binarizer, generic._label_binarizer
        assert (a.y_type_, a.sparse_input_) == (b.y_type_, b.sparse_input_)
        assert_array_equal(a.transform(y), b.transform(y))
        assert_array_equal(plain.predict(X), generic.predict(X))


BAD_FIT = {
    "one-class": (MLPClassifier, SkMLPClassifier, lambda: (X, np.zeros(len(X), dtype=int))),
    "nan-X": (
        MLPClassifier,
        SkMLPClassifier,
        lambda: (np.where(np.arange(5) == 4, np.nan, X), Y_MULTI),
    ),
    "inf-y": (
        MLPRegressor,
        SkMLPRegressor,
        lambda: (X, np.where(Y_REG > 1, np.inf, Y_REG)),
    ),
    "lengths": (MLPClassifier, SkMLPClassifier, lambda: (X, Y_MULTI[:-1])),
    "no-columns": (MLPRegressor, SkMLPRegressor, lambda: (X[:, :0], Y_REG)),
}


@pytest.mark.parametrize("bad", sorted(BAD_FIT))
def test_fit_errors_are_the_generic_and_sklearn_ones(bad, generic_only):
    Est, Sk, make = BAD_FIT[bad]
    Xb, yb = make()
    plain = _raised(lambda: Est(hidden_layer_sizes=(7,), random_state=0).fit(Xb, yb))
    assert plain[0] is ValueError
    theirs = _raised(lambda: Sk(hidden_layer_sizes=(7,), random_state=0).fit(Xb, yb))
    if (
        bad != "one-class"
    ):  # scikit-learn's own wording there differs; the generic path's is kept
        assert theirs[0] is ValueError
        assert plain[1] == theirs[1].replace(Sk.__name__, Est.__name__)
    generic_only()
    assert (
        _raised(lambda: Est(hidden_layer_sizes=(7,), random_state=0).fit(Xb, yb)) == plain
    )
