"""Estimator behaviour beyond bare parity: parameters in use, input forms, dtypes,
verbose output, failure leaving the model intact."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from _reference.network import estimator_forward as forward
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.neural_network import MLPClassifier as SkClassifier
from sklearn.neural_network import MLPRegressor as SkRegressor

from fastmlp import MLPClassifier, MLPRegressor


@pytest.fixture
def data():
    rng = np.random.RandomState(0)
    X = rng.randn(80, 5)
    y = (X[:, 0] - X[:, 1] > 0).astype(int) + (X[:, 2] > 0.8)
    return X, y


def test_predict_uses_edited_and_replaced_coefs(data):
    X, y = data
    clf = MLPClassifier(hidden_layer_sizes=(6,), max_iter=5, random_state=0).fit(X, y)
    clf.coefs_[0][0, :] += 1.0  # in-place edit
    expected = forward(clf, X)
    assert_allclose(clf.predict_proba(X), expected, rtol=1e-12)
    clf.coefs_[1] = np.random.RandomState(1).randn(*clf.coefs_[1].shape)  # replaced
    clf.intercepts_ = [b + 0.5 for b in clf.intercepts_]
    expected = forward(clf, X)
    assert_allclose(clf.predict_proba(X), expected, rtol=1e-12)
    # and training continues from the replaced values
    clf.set_params(warm_start=True, max_iter=1)
    start = [c.copy() for c in clf.coefs_]
    clf.fit(X, y)
    assert all(np.abs(a - b).max() < 0.1 for a, b in zip(start, clf.coefs_))


@pytest.mark.parametrize("solver", ["lbfgs", "sgd", "adam"])
@pytest.mark.parametrize("Est", [MLPClassifier, MLPRegressor])
def test_float32_stays_float32(data, solver, Est):
    X, y = data
    est = Est(hidden_layer_sizes=(4,), solver=solver, max_iter=5, random_state=0)
    est.fit(X.astype(np.float32), y)
    assert all(c.dtype == np.float32 for c in est.coefs_ + est.intercepts_)
    pred = (
        est.predict_proba(X.astype(np.float32))
        if Est is MLPClassifier
        else est.predict(X.astype(np.float32))
    )
    assert pred.dtype == np.float32


def test_input_forms_match_c_contiguous_float64(data, tmp_path):
    X, y = data
    kw = dict(hidden_layer_sizes=(5,), max_iter=5, random_state=0, batch_size=16)
    ref = MLPClassifier(**kw).fit(X, y)
    path = tmp_path / "X.dat"
    mm = np.memmap(path, dtype=np.float64, mode="w+", shape=X.shape)
    mm[:] = X
    mm.flush()
    readonly = X.copy()
    readonly.setflags(write=False)
    wide = np.zeros((X.shape[0], 2 * X.shape[1]))
    wide[:, ::2] = X
    forms = {
        "fortran": np.asfortranarray(X),
        "strided": wide[:, ::2],
        "readonly": readonly,
        "memmap": np.memmap(path, dtype=np.float64, mode="r", shape=X.shape),
        "list": X.tolist(),
        "csr": sp.csr_matrix(X),
        "csc": sp.csc_matrix(X),
    }
    for name, Xf in forms.items():
        est = MLPClassifier(**kw).fit(Xf, y)
        for a, b in zip(ref.coefs_, est.coefs_):
            assert_allclose(a, b, rtol=1e-10, atol=1e-13, err_msg=name)
        assert_allclose(
            est.predict_proba(Xf), ref.predict_proba(X), rtol=1e-10, err_msg=name
        )


def test_int_and_bool_x_match_float(data):
    X, y = data
    Xi = np.round(X * 3).astype(np.int64)
    kw = dict(hidden_layer_sizes=(5,), max_iter=5, random_state=0)
    a = MLPClassifier(**kw).fit(Xi, y)
    b = MLPClassifier(**kw).fit(Xi.astype(np.float64), y)
    assert_allclose(a.predict_proba(Xi), b.predict_proba(Xi.astype(float)))
    Xb = Xi > 0
    a = MLPClassifier(**kw).fit(Xb, y)
    b = MLPClassifier(**kw).fit(Xb.astype(np.float64), y)
    assert_array_equal(a.predict(Xb), b.predict(Xb.astype(float)))


def test_pandas_feature_names_kept(data):
    pd = pytest.importorskip("pandas")
    X, y = data
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(df, y)
    assert list(clf.feature_names_in_) == list(df.columns)
    plain = MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, y)
    assert_allclose(clf.predict_proba(df), plain.predict_proba(X))


def test_multi_output_loss_is_objective_k_times_sklearn():
    # With alpha=0 the objective fastmlp reports is the sum over outputs of the
    # half mean squared error, which is n_outputs times scikit-learn's figure.
    rng = np.random.RandomState(0)
    X = rng.randn(60, 4)
    Y = np.c_[X[:, 0], X[:, 1] * 2, -X[:, 2]]
    kw = dict(
        hidden_layer_sizes=(5,),
        alpha=0.0,
        max_iter=6,
        random_state=0,
        solver="sgd",
        batch_size=10,
    )
    ours = MLPRegressor(**kw).fit(X, Y)
    theirs = SkRegressor(**kw).fit(X, Y)
    assert_allclose(ours.loss_curve_, 3 * np.asarray(theirs.loss_curve_), rtol=1e-10)
    # the loss really is 0.5 * sum over outputs of the mean squared error
    ours.set_params(warm_start=True)
    loss, _, _ = ours._full_batch_loss_grad(X, Y)
    assert loss == pytest.approx(0.5 * ((Y - ours.predict(X)) ** 2).sum(axis=1).mean())


def test_partial_fit_needs_a_stochastic_solver(data):
    X, y = data
    for est in (MLPClassifier(solver="lbfgs"), MLPRegressor(solver="lbfgs")):
        assert not hasattr(est, "partial_fit")
        with pytest.raises(AttributeError, match="partial_fit"):
            est.partial_fit(X, y)


def test_parameters_are_validated_in_fit_not_init(data):
    X, y = data
    clf = MLPClassifier(activation="bogus", learning_rate_init=-1)
    assert clf.activation == "bogus"
    with pytest.raises(ValueError, match="activation"):
        clf.fit(X, y)
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        MLPClassifier(hidden_layer_sizes=(3, 0)).fit(X, y)


def test_verbose_prints_what_sklearn_prints(data, capsys):
    X, y = data
    kw = dict(
        hidden_layer_sizes=(4,),
        max_iter=4,
        random_state=0,
        verbose=True,
        solver="sgd",
        early_stopping=True,
        learning_rate="adaptive",
        n_iter_no_change=1,
        tol=0.5,
    )
    SkClassifier(**kw).fit(X, y)
    theirs = capsys.readouterr().out
    MLPClassifier(**kw).fit(X, y)
    ours = capsys.readouterr().out
    assert "Iteration 1, loss =" in ours
    assert ours == theirs


def test_divergence_raises_and_keeps_previous_model(data):
    X, _ = data
    y = X[:, 0] * 3.0
    reg = MLPRegressor(
        hidden_layer_sizes=(5,), max_iter=3, random_state=0, solver="sgd", warm_start=True
    ).fit(X, y)
    before = [c.copy() for c in reg.coefs_]
    pred = reg.predict(X)
    n_iter, curve = reg.n_iter_, list(reg.loss_curve_)
    reg.set_params(learning_rate_init=1e6, max_iter=50)
    with pytest.raises(ValueError, match="epoch"):
        reg.fit(X, y)
    for a, b in zip(before, reg.coefs_):
        assert_array_equal(a, b)
    assert_array_equal(reg.predict(X), pred)
    assert reg.n_iter_ == n_iter and reg.loss_curve_ == curve
    fresh = MLPRegressor(
        hidden_layer_sizes=(5,), solver="sgd", learning_rate_init=1e6, max_iter=50
    )
    with pytest.raises(ValueError, match="epoch"):
        fresh.fit(X, y)
    assert not hasattr(fresh, "coefs_")


def test_pickle_round_trip_and_continue(data):
    X, y = data
    kw = dict(hidden_layer_sizes=(5,), random_state=0, solver="adam")
    a = MLPClassifier(**kw)
    a.partial_fit(X, y, classes=np.unique(y))
    b = pickle.loads(pickle.dumps(a))
    assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    for _ in range(3):
        a.partial_fit(X, y)
        b.partial_fit(X, y)
    for ca, cb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_array_equal(ca, cb)


def test_no_hidden_layer_is_a_linear_model(data):
    X, y = data
    clf = MLPClassifier(hidden_layer_sizes=(), solver="lbfgs", random_state=0).fit(X, y)
    sk = SkClassifier(hidden_layer_sizes=(), solver="lbfgs", random_state=0).fit(X, y)
    assert len(clf.coefs_) == 1
    assert_allclose(clf.predict_proba(X), sk.predict_proba(X), rtol=1e-6, atol=1e-9)
