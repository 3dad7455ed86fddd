"""The values of the losses scikit-learn's MLP does not have: hinge and squared
hinge for classifiers (binary and multiclass), absolute_error and huber (and
squared_error) for regressors, summed over the outputs, averaged over the
(weighted) samples, the penalty divided by the weight sum; huber_delta must be
positive.

Expected values: closed forms written out here on the outputs of the NumPy
reference network (``tests/_reference/network.py``) at the same weights.
fastmlp's private hook ``est._full_batch_loss_grad`` is used only to *read*
the objective fastmlp trains with.  The gradients of these losses are checked
in ``tests/test_gradients.py``.
"""

import copy

import numpy as np
import pytest
from _cases import REG_CASES, make_case_data, setup_gradient_case
from _reference.network import NumpyMLP
from numpy.testing import assert_allclose

from fastmlp import MLPRegressor


def test_hinge_binary_loss_value():
    # Closed form on fixed weights: mean of max(0, 1 - t s) with t = +-1.
    case = ("clf", "binary", "hinge", None)
    est, X, y, sw, ref, _ = setup_gradient_case(case, "identity", (3,), 0.0, 0.0, seed=3)
    s = ref.predict(X).ravel()
    t = np.where(y == "yes", 1.0, -1.0)
    expected = np.sum(sw * np.maximum(0, 1 - t * s)) / sw.sum()
    assert_allclose(
        est._full_batch_loss_grad(X, y, sample_weight=sw)[0], expected, rtol=1e-12
    )


def test_hinge_multiclass_loss_value():
    case = ("clf", "multiclass", "squared_hinge", None)
    est, X, y, sw, ref, _ = setup_gradient_case(case, "identity", (3,), 0.0, 0.0, seed=4)
    s = ref.predict(X)
    classes = np.unique(y)
    c = np.searchsorted(classes, y)
    per = []
    for i in range(len(y)):
        per.append(
            sum(max(0.0, s[i, j] - s[i, c[i]] + 1) ** 2 for j in range(3) if j != c[i])
        )
    expected = np.sum(sw * np.array(per)) / sw.sum()
    assert_allclose(
        est._full_batch_loss_grad(X, y, sample_weight=sw)[0], expected, rtol=1e-12
    )


@pytest.mark.parametrize("loss", ["absolute_error", "huber", "squared_error"])
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_regressor_loss_averaged_over_samples(loss, n_outputs):
    # loss_curve_[0] of a full-batch epoch started from given weights is the
    # objective at those weights: mean over samples (weighted), penalty / S.
    rng = np.random.RandomState(14)
    n = 10
    X = rng.normal(size=(n, 3))
    y = (
        rng.normal(scale=2.0, size=(n, n_outputs))
        if n_outputs > 1
        else rng.normal(scale=2.0, size=n)
    )
    sw = rng.uniform(0.5, 2.0, size=n)
    coefs = [rng.normal(size=(3, 4)), rng.normal(size=(4, n_outputs))]
    intercepts = [rng.normal(size=4), rng.normal(size=n_outputs)]
    est = MLPRegressor(
        hidden_layer_sizes=(4,),
        activation="tanh",
        loss=loss,
        huber_delta=0.8,
        solver="sgd",
        momentum=0.0,
        learning_rate_init=0.01,
        alpha=0.2,
        batch_size=n,
        shuffle=False,
        max_iter=1,
        random_state=0,
    )
    est.fit(X, y, sample_weight=sw, coef_init=coefs, intercept_init=intercepts)
    Y = y.reshape(n, -1)
    p = NumpyMLP(coefs, intercepts, ["tanh"], "identity", "squared_error").predict(X)
    r = p - Y
    if loss == "absolute_error":
        per = np.abs(r).sum(1)
    elif loss == "huber":
        per = np.where(np.abs(r) <= 0.8, 0.5 * r**2, 0.8 * (np.abs(r) - 0.4)).sum(1)
        assert np.any(np.abs(r) <= 0.8) and np.any(np.abs(r) > 0.8)
    else:
        per = (0.5 * r**2).sum(1)
    expected = (np.sum(sw * per) + 0.5 * 0.2 * sum(np.sum(c**2) for c in coefs)) / sw.sum()
    assert est.loss_curve_[0] == pytest.approx(expected, rel=1e-12)
    # unweighted: the plain mean over samples
    est2 = copy.deepcopy(est).set_params(alpha=0.0)
    est2.coefs_, est2.intercepts_ = coefs, intercepts
    assert est2._full_batch_loss_grad(X, y)[0] == pytest.approx(per.mean(), rel=1e-12)


def test_huber_delta_validated():
    X, y, _ = make_case_data(REG_CASES[0], 0)
    for bad in (0.0, -1.0):
        with pytest.raises(ValueError):
            MLPRegressor(loss="huber", huber_delta=bad).fit(X, y)
