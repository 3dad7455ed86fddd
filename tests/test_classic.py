"""Classic boolean-function sanity checks.

AND and OR are linearly separable, XOR is not: a network with a small hidden
layer learns all three exactly, whereas a network without a hidden layer
(``hidden_layer_sizes=()``, i.e. a linear model followed by the output link)
can never get all four XOR points right.  The expected outputs are the truth
tables themselves; the probabilities are checked against a NumPy forward pass of
the fitted weights.
"""

import numpy as np
import pytest
from _reference.network import NumpyMLP

from fastmlp import MLPClassifier, MLPRegressor

X_BOOL = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
TRUTH = {
    "and": np.array([0, 0, 0, 1]),
    "or": np.array([0, 1, 1, 1]),
    "xor": np.array([0, 1, 1, 0]),
}


def _forward_proba(clf, X):
    """P(positive class) from the fitted weights: the reference network's forward
    pass (tests/_reference/network.py), hidden layers with the estimator's
    activation, then the logistic output."""
    hidden = [clf.activation] * (len(clf.coefs_) - 1)
    net = NumpyMLP(clf.coefs_, clf.intercepts_, hidden, "logistic", loss=None)
    return net.predict(X)[:, 0]


def _assert_proba_is_forward_pass(clf, X):
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2)
    p1 = _forward_proba(clf, X)
    np.testing.assert_allclose(proba[:, 1], p1, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(proba[:, 0], 1 - p1, rtol=1e-12, atol=1e-15)


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
    clf = _clf(hidden, "tanh", solver, random_state).fit(X_BOOL, y)
    np.testing.assert_array_equal(clf.predict(X_BOOL), y)
    _assert_proba_is_forward_pass(clf, X_BOOL)
    # the network itself, not only predict, separates the truth table
    np.testing.assert_array_equal(_forward_proba(clf, X_BOOL) > 0.5, y == 1)


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
    ids=["4-tanh-lbfgs", "8-tanh-lbfgs", "4-tanh-adam", "8-relu-lbfgs", "4-logistic-lbfgs"],
)
def test_xor_learned_by_hidden_layer(hidden, activation, solver, random_state):
    y = TRUTH["xor"]
    clf = _clf(hidden, activation, solver, random_state).fit(X_BOOL, y)
    np.testing.assert_array_equal(clf.predict(X_BOOL), y)
    _assert_proba_is_forward_pass(clf, X_BOOL)
    np.testing.assert_array_equal(_forward_proba(clf, X_BOOL) > 0.5, y == 1)


def test_xor_string_labels():
    y = np.array(["no", "yes", "yes", "no"])
    clf = _clf((4,), "tanh", "lbfgs", 0).fit(X_BOOL, y)
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
    clf = _clf((), activation, solver, random_state).fit(X_BOOL, y)
    assert clf.n_layers_ == 2
    assert len(clf.coefs_) == 1
    assert clf.coefs_[0].shape == (2, 1)
    assert clf.intercepts_[0].shape == (1,)
    # the model is the affine score through the logistic output, whatever the
    # (unused) hidden activation ...
    _assert_proba_is_forward_pass(clf, X_BOOL)
    decision = (X_BOOL @ clf.coefs_[0] + clf.intercepts_[0])[:, 0]
    np.testing.assert_array_equal(clf.predict(X_BOOL), (decision > 0).astype(int))
    # ... so at most 3 of the 4 XOR points are right
    assert np.sum(clf.predict(X_BOOL) == y) <= 3


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
    reg.fit(X_BOOL, y)
    # measured: within 2.5e-4 of the truth table (alpha > 0 keeps it from 0)
    np.testing.assert_allclose(reg.predict(X_BOOL), y, atol=2e-3)


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
    reg.fit(X_BOOL, y)
    # measured: predictions within 1.8e-7 of 0.5, coefficients within 2.4e-7 of 0
    # (L-BFGS stops at its tolerance; the penalty leaves the solution unchanged)
    np.testing.assert_allclose(reg.predict(X_BOOL), 0.5, atol=1e-5)
    np.testing.assert_allclose(reg.coefs_[0], 0.0, atol=1e-5)
    np.testing.assert_allclose(reg.intercepts_[0], 0.5, atol=1e-5)
