"""What the estimators output under fastmlp's losses and output activations:
decision_function (the output layer's raw scores) for every classifier loss;
predict and score from those scores, and no predict_proba /
predict_log_proba, for the hinge losses; predict_proba the logistic / softmax
of decision_function for the log loss; MLPRegressor's out_activation (the
range of the predictions, and its default for each loss).

Expected numbers: a NumPy forward pass of the fitted weights
(``tests/_reference/network.py``), SciPy's expit and softmax, and
scikit-learn's accuracy_score.
"""

import numpy as np
import pytest
from _cases import make_case_data
from _reference.network import NumpyMLP
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit, softmax
from sklearn.metrics import accuracy_score

from fastmlp import MLPClassifier, MLPRegressor


@pytest.mark.parametrize("loss", ["hinge", "squared_hinge"])
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_hinge_classifier_outputs(loss, target):
    X, y, _ = make_case_data(("clf", target, loss, None), 40)
    est = MLPClassifier(
        (5,),
        activation="tanh",
        loss=loss,
        max_iter=30,
        random_state=0,
        learning_rate_init=0.05,
    ).fit(X, y)
    scores = est.decision_function(X)
    ref = NumpyMLP(est.coefs_, est.intercepts_, ["tanh"], "identity", "squared_error")
    raw = ref.predict(X)
    classes = np.unique(y) if target != "multilabel" else None
    if target == "binary":
        assert scores.shape == (len(X),)
        assert_allclose(scores, raw.ravel(), rtol=1e-12, atol=1e-14)
        expected = np.where(raw.ravel() > 0, classes[1], classes[0])
    elif target == "multiclass":
        assert scores.shape == (len(X), 3)
        assert_allclose(scores, raw, rtol=1e-12, atol=1e-14)
        expected = classes[raw.argmax(1)]
    else:
        assert_allclose(scores, raw, rtol=1e-12, atol=1e-14)
        expected = (raw > 0).astype(int)
    assert_array_equal(est.predict(X), expected)
    # score: (subset) accuracy of those predictions
    assert est.score(X, y) == accuracy_score(y, expected)
    assert not hasattr(est, "predict_proba")
    assert not hasattr(est, "predict_log_proba")
    with pytest.raises(AttributeError):
        est.predict_proba(X)
    with pytest.raises(AttributeError):
        est.predict_log_proba(X)
    assert est.out_activation_ == "identity"


@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_decision_function_log_loss(target):
    X, y, _ = make_case_data(("clf", target, "log_loss", None), 41)
    est = MLPClassifier((5,), activation="relu", max_iter=20, random_state=0).fit(X, y)
    scores = est.decision_function(X)
    proba = est.predict_proba(X)
    ref = NumpyMLP(est.coefs_, est.intercepts_, ["relu"], "identity", "squared_error")
    raw = ref.predict(X)
    if target == "binary":
        assert scores.shape == (len(X),)
        assert_allclose(scores, raw.ravel(), rtol=1e-12, atol=1e-14)
        assert_allclose(expit(scores), proba[:, 1], rtol=1e-12)
    elif target == "multiclass":
        assert_allclose(scores, raw, rtol=1e-12, atol=1e-14)
        assert_allclose(softmax(scores, axis=1), proba, rtol=1e-12)
    else:
        assert_allclose(scores, raw, rtol=1e-12, atol=1e-14)
        assert_allclose(expit(scores), proba, rtol=1e-12)
    assert hasattr(est, "predict_proba")


@pytest.mark.parametrize(
    "out,low,high",
    [
        ("logistic", 0.0, 1.0),
        ("tanh", -1.0, 1.0),
        ("exp", 0.0, np.inf),
        ("softplus", 0.0, np.inf),
    ],
)
def test_regressor_output_activation_ranges(out, low, high):
    rng = np.random.RandomState(6)
    X = rng.normal(size=(60, 3))
    y = {
        "logistic": expit(X[:, 0]),
        "tanh": np.tanh(X[:, 1]),
        "exp": np.exp(0.5 * X[:, 0]),
        "softplus": np.logaddexp(0, X[:, 2]),
    }[out]
    est = MLPRegressor(
        hidden_layer_sizes=(6,),
        activation="tanh",
        out_activation=out,
        max_iter=50,
        random_state=0,
        learning_rate_init=0.01,
    ).fit(X, y)
    assert est.out_activation_ == out
    for Xt in (X, 3 * X):
        p = est.predict(Xt)
        assert np.all(p > low) and np.all(p < high)
        ref = NumpyMLP(est.coefs_, est.intercepts_, ["tanh"], out, "squared_error")
        assert_allclose(p, ref.predict(Xt).ravel(), rtol=1e-12, atol=1e-15)


def test_regressor_out_activation_none():
    X, y, _ = make_case_data(("reg", "reg1", "poisson", None), 2)
    est = MLPRegressor(hidden_layer_sizes=(3,), loss="poisson", max_iter=2).fit(X, y)
    assert est.out_activation_ == "exp"
    est = MLPRegressor(hidden_layer_sizes=(3,), max_iter=2).fit(X, y)
    assert est.out_activation_ == "identity"
    est = MLPRegressor(hidden_layer_sizes=(3,), loss="huber", max_iter=2).fit(X, y)
    assert est.out_activation_ == "identity"
