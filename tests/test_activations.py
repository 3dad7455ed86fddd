"""A list of hidden activations, one per hidden layer (``activation`` takes a
name or a list of names): layer i uses activation[i], checked against a NumPy
forward pass of the fitted weights with those activations
(``tests/_reference/network.py``), which the reversed list does not match; a
list of the wrong length or with an unknown name is refused.

The gradient of every activation is checked in ``tests/test_gradients.py``,
the activation kernels themselves in ``tests/test_elementwise.py``.
"""

import numpy as np
import pytest
from _cases import REG_CASES, make_case_data, make_case_estimator
from _reference.network import NumpyMLP
from numpy.testing import assert_allclose

from fastmlp import MLPRegressor


def test_activation_list_is_used_per_layer():
    # A list of activations gives layer i activation[i]: predictions equal a
    # NumPy forward pass with those activations (and differ from reversed).
    case = REG_CASES[0]
    X, y, _ = make_case_data(case, 1)
    acts = ["gaussian", "relu", "tanh"]
    est = make_case_estimator(case, acts, (4, 4, 3), 0.0, 0.0).fit(X, y)
    ref = NumpyMLP(est.coefs_, est.intercepts_, acts, "identity", "squared_error")
    assert_allclose(est.predict(X), ref.predict(X).ravel(), rtol=1e-12, atol=1e-14)
    wrong = NumpyMLP(est.coefs_, est.intercepts_, acts[::-1], "identity", "squared_error")
    assert not np.allclose(est.predict(X), wrong.predict(X).ravel())


@pytest.mark.parametrize(
    "activation",
    [["relu", "tanh"], ["relu", "tanh", "tanh", "tanh"], ["relu", "swish", "tanh"]],
    ids=str,
)
def test_activation_list_invalid(activation):
    X, y, _ = make_case_data(REG_CASES[0], 0)
    est = MLPRegressor(hidden_layer_sizes=(3, 3, 3), activation=activation, max_iter=2)
    with pytest.raises(ValueError):
        est.fit(X, y)
