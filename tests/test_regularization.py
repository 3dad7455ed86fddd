"""The elastic-net penalty (``l1_ratio``): the objective is the data loss plus
alpha * ((1 - l1_ratio) * 0.5 * ||W||^2 + l1_ratio * ||W||_1) / S (S the sum of
the sample weights), its gradient adds alpha * ((1 - l1_ratio) W +
l1_ratio sign(W)) / S to the coefficients and nothing to the intercepts; and
l1_ratio=0 is scikit-learn's L2 penalty.

Expected numbers: that formula written out here on top of the data loss of the
NumPy reference network (``tests/_reference/network.py``), and scikit-learn's
MLPClassifier fitted alongside.  fastmlp's private hook
``est._full_batch_loss_grad`` is used only to *read* the objective fastmlp
trains with.
"""

import copy

import numpy as np
import pytest
from _cases import (
    ALL_CASES,
    REG_CASES,
    case_id,
    full_batch_problem,
    setup_gradient_case,
)
from _reference.network import pack, rel_err
from numpy.testing import assert_allclose
from sklearn.neural_network import MLPClassifier as SkMLPClassifier

from fastmlp import MLPClassifier


@pytest.mark.parametrize("l1_ratio", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("case", [ALL_CASES[1], REG_CASES[0]], ids=case_id)
def test_l1_ratio_penalty_in_objective(case, l1_ratio):
    alpha = 0.9
    est, X, y, sw, ref, Y = setup_gradient_case(
        case, "tanh", (4, 3), alpha, l1_ratio, seed=31
    )
    loss, cg, ig = est._full_batch_loss_grad(X, y, sample_weight=sw)
    S = sw.sum()
    data_np = ref.objective(X, Y, sw)[1]
    W = [np.asarray(c) for c in est.coefs_]
    penalty = (
        alpha
        * (
            (1 - l1_ratio) * 0.5 * sum(np.sum(w * w) for w in W)
            + l1_ratio * sum(np.sum(np.abs(w)) for w in W)
        )
        / S
    )
    assert_allclose(loss, data_np + penalty, rtol=1e-11)
    # Gradient: the penalty adds alpha ((1 - l1) W + l1 sign(W)) / S to the
    # coefficients and nothing to the intercepts.
    est0 = copy.deepcopy(est).set_params(alpha=0.0)
    loss0, cg0, ig0 = est0._full_batch_loss_grad(X, y, sample_weight=sw)
    assert_allclose(loss0, data_np, rtol=1e-11)
    for g, g0, w in zip(cg, cg0, W):
        assert_allclose(
            g - g0,
            alpha * ((1 - l1_ratio) * w + l1_ratio * np.sign(w)) / S,
            rtol=1e-9,
            atol=1e-14,
        )
    for g, g0 in zip(ig, ig0):
        assert_allclose(g, g0, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_l1_ratio_zero_is_sklearn_l2(solver):
    # l1_ratio=0 (given explicitly) is scikit-learn's penalty
    # 0.5 * alpha * ||W||^2 / S: the fit over several shuffled mini-batches
    # equals scikit-learn's (measured: 7e-16 relative), with a penalty
    # large enough to matter.
    X, y, _, _ = full_batch_problem("clf")
    params = dict(
        hidden_layer_sizes=(5,),
        solver=solver,
        batch_size=6,
        max_iter=5,
        random_state=0,
        learning_rate_init=0.05,
    )
    ours = MLPClassifier(alpha=2.0, l1_ratio=0.0, **params).fit(X, y)
    sk = SkMLPClassifier(alpha=2.0, **params).fit(X, y)
    for u, v in zip(ours.coefs_ + ours.intercepts_, sk.coefs_ + sk.intercepts_):
        assert_allclose(u, v, rtol=1e-9, atol=1e-12)
    assert_allclose(ours.loss_curve_, sk.loss_curve_, rtol=1e-10)
    free = SkMLPClassifier(alpha=0.0, **params).fit(X, y)
    assert rel_err(pack(free.coefs_, []), pack(sk.coefs_, [])) > 1e-3
