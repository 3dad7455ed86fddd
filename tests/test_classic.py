"""Classic boolean-function sanity checks.

AND and OR are linearly separable, XOR is not: a network with a small hidden
layer learns all three exactly, whereas a network without a hidden layer
(``hidden_layer_sizes=()``, i.e. a linear model followed by the output link)
can never get all four XOR points right.  The expected outputs are the truth
tables themselves.
"""

import warnings

import numpy as np
import pytest

from fastmlp import MLPClassifier, MLPRegressor

X_BOOL = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
TRUTH = {
    "and": np.array([0, 0, 0, 1]),
    "or": np.array([0, 1, 1, 1]),
    "xor": np.array([0, 1, 1, 0]),
}


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X, y)


def _clf(hidden, activation, solver, random_state):
    extra = (
        dict(max_iter=500)
        if solver == "lbfgs"
        else dict(max_iter=2000, learning_rate_init=0.05)
    )
    return MLPClassifier(
        hidden_layer_sizes=hidden,
        activation=activation,
        solver=solver,
        random_state=random_state,
        **extra,
    )


@pytest.mark.parametrize("random_state", [0, 1, 2])
@pytest.mark.parametrize("solver", ["lbfgs", "adam"])
@pytest.mark.parametrize("hidden", [(4,), ()], ids=["hidden4", "no_hidden"])
@pytest.mark.parametrize("gate", ["and", "or"])
def test_and_or_learned_perfectly(gate, hidden, solver, random_state):
    y = TRUTH[gate]
    clf = _fit(_clf(hidden, "tanh", solver, random_state), X_BOOL, y)
    np.testing.assert_array_equal(clf.predict(X_BOOL), y)
    proba = clf.predict_proba(X_BOOL)
    assert proba.shape == (4, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    # the probability of the true class is the larger one
    assert np.all(proba[np.arange(4), y] > 0.5)
    assert clf.score(X_BOOL, y) == 1.0


@pytest.mark.parametrize("random_state", [0, 1, 2])
@pytest.mark.parametrize(
    "hidden, activation, solver",
    [
        ((4,), "tanh", "lbfgs"),
        ((8,), "tanh", "lbfgs"),
        ((4,), "tanh", "adam"),
        ((8,), "relu", "lbfgs"),
        ((4,), "logistic", "lbfgs"),
    ],
    ids=["4-tanh-lbfgs", "8-tanh-lbfgs", "4-tanh-adam", "8-relu-lbfgs",
         "4-logistic-lbfgs"],
)
def test_xor_learned_by_hidden_layer(hidden, activation, solver, random_state):
    y = TRUTH["xor"]
    clf = _fit(_clf(hidden, activation, solver, random_state), X_BOOL, y)
    np.testing.assert_array_equal(clf.predict(X_BOOL), y)
    assert clf.score(X_BOOL, y) == 1.0


def test_xor_string_labels():
    y = np.array(["no", "yes", "yes", "no"])
    clf = _fit(_clf((4,), "tanh", "lbfgs", 0), X_BOOL, y)
    np.testing.assert_array_equal(clf.classes_, ["no", "yes"])
    np.testing.assert_array_equal(clf.predict(X_BOOL), y)


@pytest.mark.parametrize("random_state", range(5))
@pytest.mark.parametrize("activation", ["identity", "tanh", "relu", "logistic"])
@pytest.mark.parametrize("solver", ["lbfgs", "adam", "sgd"])
def test_xor_not_learnable_without_hidden_layer(solver, activation, random_state):
    # Without hidden layer the decision function is affine in the inputs
    # (the hidden activation is never used), and no affine function
    # separates XOR: at most 3 of the 4 points can be right.
    y = TRUTH["xor"]
    clf = _fit(_clf((), activation, solver, random_state), X_BOOL, y)
    assert clf.n_layers_ == 2
    assert len(clf.coefs_) == 1
    assert clf.coefs_[0].shape == (2, 1)
    assert clf.intercepts_[0].shape == (1,)
    n_correct = np.sum(clf.predict(X_BOOL) == y)
    assert n_correct <= 3
    assert clf.score(X_BOOL, y) < 1.0


@pytest.mark.parametrize("random_state", [0, 1, 2])
@pytest.mark.parametrize("hidden", [(4,), (8,)])
def test_xor_regression_with_hidden_layer(hidden, random_state):
    y = TRUTH["xor"].astype(np.float64)
    reg = MLPRegressor(
        hidden_layer_sizes=hidden,
        activation="tanh",
        solver="lbfgs",
        alpha=1e-5,
        max_iter=1000,
        random_state=random_state,
    )
    _fit(reg, X_BOOL, y)
    np.testing.assert_allclose(reg.predict(X_BOOL), y, atol=0.1)


def test_xor_regression_without_hidden_layer_is_constant_half():
    # The least-squares affine fit of XOR is the constant 0.5 (the inputs'
    # coefficients are 0 by symmetry), so a linear network cannot fit it.
    y = TRUTH["xor"].astype(np.float64)
    reg = MLPRegressor(
        hidden_layer_sizes=(),
        solver="lbfgs",
        alpha=1e-5,
        max_iter=1000,
        random_state=0,
    )
    _fit(reg, X_BOOL, y)
    np.testing.assert_allclose(reg.predict(X_BOOL), 0.5, atol=1e-2)
    np.testing.assert_allclose(reg.coefs_[0], 0.0, atol=1e-2)
