"""Export: to_sklearn(), skops persistence (ONNX: test_onnx.py)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import (
    make_classification,
    make_multilabel_classification,
    make_regression,
)
from sklearn.exceptions import NotFittedError
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fastmlp import MLPClassifier, MLPRegressor

RNG = np.random.RandomState(0)
X, Y3 = make_classification(n_samples=150, n_features=6, n_informative=4, n_classes=3,
                            random_state=0)  # fmt: skip
Y_STR = np.array(["no", "yes"])[Y3 % 2]
XM, YM = make_multilabel_classification(n_samples=150, n_features=6, n_classes=4,
                                        random_state=0)  # fmt: skip
XM = XM / XM.max()
XR, YR2 = make_regression(n_samples=150, n_features=6, n_targets=2, noise=1.0,
                          random_state=0)  # fmt: skip
YR2 = YR2 / YR2.std(axis=0)
YR = YR2[:, 0]
Y_COUNTS = RNG.poisson(np.exp(0.3 * XR[:, 0]))

# Exportable configurations: (estimator, X, y)
CLASSIFIERS = {
    "multiclass-adam": (MLPClassifier((8,), max_iter=20, random_state=0), X, Y3),
    "binary-str-lbfgs": (MLPClassifier((8, 5), activation="tanh", solver="lbfgs",
                                       max_iter=30, random_state=0), X, Y_STR),
    "multilabel-sgd": (MLPClassifier((8,), activation="logistic", solver="sgd",
                                     max_iter=20, random_state=0), XM, YM),
    # options of the training only that scikit-learn lacks
    "adamw-dropout": (MLPClassifier((8, 8), activation=["relu", "relu"], solver="adamw",
                                    dropout=0.1, weight_init="he_normal",
                                    class_weight="balanced", early_stopping=True,
                                    max_iter=20, random_state=0), X, Y3),
    "float32": (MLPClassifier((8,), max_iter=20, random_state=0), X.astype(np.float32), Y3),
    "no-hidden-layer": (MLPClassifier((), activation="gelu", solver="lbfgs", max_iter=20,
                                      random_state=0), X, Y3),
}  # fmt: skip
REGRESSORS = {
    "single-adam": (MLPRegressor(hidden_layer_sizes=(8,), max_iter=20, random_state=0),
                    XR, YR),
    "multi-output-lbfgs": (MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs",
                                        max_iter=30, random_state=0), XR, YR2),
    "poisson": (MLPRegressor("poisson", hidden_layer_sizes=(8,), solver="lbfgs",
                             max_iter=30, random_state=0), XR, Y_COUNTS),
    "huber-float32": (MLPRegressor("huber", hidden_layer_sizes=(8,), max_iter=20,
                                   random_state=0), XR.astype(np.float32), YR),
}  # fmt: skip
ALL = {**CLASSIFIERS, **REGRESSORS}


def _fitted(name):
    from sklearn.base import clone

    est, Xd, yd = ALL[name]
    return clone(est).fit(Xd, yd), Xd, yd


# --------------------------------------------------------------------------
# to_sklearn
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ALL))
def test_to_sklearn_same_predictions(name):
    est, Xd, yd = _fitted(name)
    sk = est.to_sklearn()
    assert isinstance(sk, SkMLPClassifier if name in CLASSIFIERS else SkMLPRegressor)
    sk._validate_params()
    for attr in ("n_features_in_", "n_layers_", "n_outputs_", "out_activation_", "n_iter_"):
        assert getattr(sk, attr) == getattr(est, attr)
    for a, b in zip(sk.coefs_ + sk.intercepts_, est.coefs_ + est.intercepts_):
        assert a.dtype == b.dtype
        assert_array_equal(a, b)
        assert not np.shares_memory(a, b)
    # scikit-learn's forward pass on the exported weights; measured: within 3.5e-7
    # relative (float32) and 7.2e-15 relative (float64) of fastmlp's
    tol = 3e-6 if Xd.dtype == np.float32 else 1e-12
    if name in CLASSIFIERS:
        assert_array_equal(sk.classes_, est.classes_)
        assert_array_equal(sk.predict(Xd), est.predict(Xd))
        assert_allclose(sk.predict_proba(Xd), est.predict_proba(Xd), rtol=tol, atol=tol)
        assert sk.score(Xd, yd) == est.score(Xd, yd)
    else:
        assert_allclose(sk.predict(Xd), est.predict(Xd), rtol=tol, atol=tol)
    if est.solver != "lbfgs":
        assert sk.loss_curve_ == est.loss_curve_


def test_to_sklearn_keeps_feature_names():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    est = MLPClassifier((5,), max_iter=10, random_state=0).fit(df, Y3)
    sk = est.to_sklearn()
    assert_array_equal(sk.feature_names_in_, est.feature_names_in_)
    assert_array_equal(sk.predict(df), est.predict(df))


@pytest.mark.parametrize(
    "est, data, option",
    [
        (MLPClassifier((4,), activation="gelu"), (X, Y3), "activation='gelu'"),
        (MLPClassifier((4, 4), activation=["relu", "tanh"]), (X, Y3), "activation="),
        (MLPClassifier((4,), loss="hinge"), (X, Y3), "loss='hinge'"),
        (MLPRegressor(hidden_layer_sizes=(4,), out_activation="tanh"), (XR, YR),
         "out_activation='tanh'"),
        (MLPRegressor("poisson", hidden_layer_sizes=(4,), out_activation="softplus"),
         (XR, Y_COUNTS), "out_activation='softplus'"),
    ],
)  # fmt: skip
def test_to_sklearn_unsupported_option(est, data, option):
    est.set_params(max_iter=3, random_state=0).fit(*data)
    with pytest.raises(ValueError, match=f"cannot be exported to scikit-learn: {option}"):
        est.to_sklearn()


def test_to_sklearn_not_fitted():
    with pytest.raises(NotFittedError):
        MLPRegressor().to_sklearn()


# --------------------------------------------------------------------------
# skops
# --------------------------------------------------------------------------

# The types fastmlp's estimators contain that skops does not trust by default.
SKOPS_TRUSTED = {
    "fastmlp._multilayer_perceptron.MLPClassifier",
    "fastmlp._multilayer_perceptron.MLPRegressor",
    "fastmlp._stochastic.OptimizerState",  # stochastic solvers
}


@pytest.mark.parametrize("name", ["multiclass-adam", "binary-str-lbfgs", "multi-output-lbfgs",
                                  "adamw-dropout", "huber-float32"])  # fmt: skip
def test_skops_round_trip(tmp_path, name):
    sio = pytest.importorskip("skops.io")
    est, Xd, yd = _fitted(name)
    model = make_pipeline(StandardScaler(), est).fit(Xd, yd)
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    untrusted = set(sio.get_untrusted_types(file=path))
    assert untrusted <= SKOPS_TRUSTED
    assert "fastmlp._multilayer_perceptron." + type(est).__name__ in untrusted
    loaded = sio.load(path, trusted=sorted(untrusted))
    assert_array_equal(loaded.predict(Xd), model.predict(Xd))
    if name in ("multiclass-adam", "huber-float32"):  # training goes on after loading
        loaded[-1].partial_fit(loaded[0].transform(Xd), yd)
        model[-1].partial_fit(model[0].transform(Xd), yd)
        assert_array_equal(loaded.predict(Xd), model.predict(Xd))
