"""Initial weights given to fit (``coef_init`` / ``intercept_init``): training
starts from them (either alone, the other part initialised as usual), the
arrays given are not modified, and arrays of the wrong number or shape are
refused.

Expected numbers: a published worked example of back-propagation (Matt Mazur,
"A Step by Step Backpropagation Example", 2015: a 2-2-2 logistic network, its
error and its weights after one step), one gradient step of the NumPy
reference network (``tests/_reference/network.py``), and scikit-learn's
initialisation written out there.
"""

from itertools import pairwise

import numpy as np
import pytest
from _cases import full_batch_estimator, full_batch_problem, reference_for
from _reference.network import sklearn_glorot_init
from numpy.testing import assert_allclose, assert_array_equal

from fastmlp import MLPRegressor


def test_coef_init_textbook_worked_example():
    # Matt Mazur, "A Step by Step Backpropagation Example" (2015): a 2-2-2
    # network with logistic hidden and output units, E = sum 0.5 (t - o)^2,
    # one sample, learning rate 0.5.  Published: E = 0.298371109 and after
    # one step w1..w8 = 0.149780716, 0.19956143, 0.24975114, 0.29950229,
    # 0.35891648, 0.408666186, 0.511301270, 0.561370121.
    # h1 = s(w1 i1 + w2 i2 + b1), h2 = s(w3 i1 + w4 i2 + b1),
    # o1 = s(w5 h1 + w6 h2 + b2), o2 = s(w7 h1 + w8 h2 + b2).
    X = np.array([[0.05, 0.10]])
    y = np.array([[0.01, 0.99]])
    coef_init = [
        np.array([[0.15, 0.25], [0.20, 0.30]]),
        np.array([[0.40, 0.50], [0.45, 0.55]]),
    ]
    intercept_init = [np.array([0.35, 0.35]), np.array([0.60, 0.60])]
    saved = [a.copy() for a in coef_init + intercept_init]
    est = MLPRegressor(
        hidden_layer_sizes=(2,),
        activation="logistic",
        out_activation="logistic",
        solver="sgd",
        learning_rate_init=0.5,
        momentum=0.0,
        alpha=0.0,
        batch_size=1,
        shuffle=False,
        max_iter=1,
        random_state=0,
    )
    est.fit(X, y, coef_init=coef_init, intercept_init=intercept_init)
    assert est.loss_curve_[0] == pytest.approx(0.298371109, abs=1e-9)
    assert_allclose(
        est.coefs_[0], [[0.149780716, 0.24975114], [0.19956143, 0.29950229]], atol=1e-8
    )
    assert_allclose(
        est.coefs_[1], [[0.35891648, 0.511301270], [0.408666186, 0.561370121]], atol=1e-8
    )
    # The given arrays are not modified.
    for a, b in zip(saved, coef_init + intercept_init):
        assert_array_equal(a, b)


@pytest.mark.parametrize("kind", ["reg", "clf"])
def test_coef_init_one_gradient_step(kind):
    X, y, sw, case = full_batch_problem(kind)
    rng = np.random.RandomState(2)
    units = [3, 4, 3, 2 if kind == "reg" else 3]
    coefs = [rng.normal(size=(a, b)) for a, b in pairwise(units)]
    intercepts = [rng.normal(size=b) for b in units[1:]]
    est = full_batch_estimator(
        kind, "sgd", dict(momentum=0.0, learning_rate_init=0.2), 0.3, 0.0, 1
    )
    est.fit(X, y, sample_weight=sw, coef_init=coefs, intercept_init=intercepts)
    ref, Y = reference_for(case, y, coefs, intercepts, "tanh", 0.3, 0.0)
    value, _, cg, ig = ref.loss_grad(X, Y, sw)
    assert est.loss_curve_[0] == pytest.approx(value, rel=1e-11)
    for got, w, g in zip(est.coefs_ + est.intercepts_, coefs + intercepts, cg + ig):
        assert_allclose(got, w - 0.2 * g, rtol=1e-12, atol=1e-15)


def test_coef_init_only_or_intercept_init_only():
    X, y, _, _ = full_batch_problem("reg")
    units = [3, 4, 3, 2]
    coefs0, intercepts0, _ = sklearn_glorot_init(units, 0, "tanh")
    coefs = [np.full((a, b), 0.1) for a, b in pairwise(units)]
    intercepts = [np.full(b, -0.2) for b in units[1:]]
    common = dict(momentum=0.0, learning_rate_init=1e-300)
    est = full_batch_estimator("reg", "sgd", common, 0.0, 0.0, 1).fit(X, y, coef_init=coefs)
    for got, want in zip(est.coefs_ + est.intercepts_, coefs + intercepts0):
        assert_array_equal(got, want)
    est = full_batch_estimator("reg", "sgd", common, 0.0, 0.0, 1).fit(
        X, y, intercept_init=intercepts
    )
    for got, want in zip(est.coefs_ + est.intercepts_, coefs0 + intercepts):
        assert_array_equal(got, want)


@pytest.mark.parametrize(
    "which",
    ["coef_shape", "coef_count", "intercept_shape", "intercept_count", "transposed"],
)
def test_coef_init_wrong_shapes_raise(which):
    X, y, _, _ = full_batch_problem("clf")
    units = [3, 4, 3, 3]
    coefs = [np.zeros((a, b)) for a, b in pairwise(units)]
    intercepts = [np.zeros(b) for b in units[1:]]
    if which == "coef_shape":
        coefs[1] = np.zeros((4, 4))
    elif which == "coef_count":
        coefs = coefs[:2]
    elif which == "intercept_shape":
        intercepts[2] = np.zeros(2)
    elif which == "intercept_count":
        intercepts = intercepts + [np.zeros(3)]
    else:
        coefs[0] = coefs[0].T
    est = full_batch_estimator("clf", "sgd", {}, 0.0, 0.0, 1)
    with pytest.raises(ValueError):
        est.fit(X, y, coef_init=coefs, intercept_init=intercepts)
