"""The stochastic solvers step by step: sgd (plain, momentum, Nesterov's
momentum), adam, and the solvers scikit-learn does not have (adagrad, rmsprop,
adadelta, adamw) follow their published update rules, through fit and through
partial_fit; adamw's weight decay is decoupled from the gradient; those solvers
train on float32 and sparse input as on float64 dense input; the learning-rate
schedules ('adaptive', 'invscaling') apply to 'sgd' only.

Every expected number comes from a source independent of fastmlp: the
full-batch gradient of the NumPy reference network (``tests/_reference/network.py``)
driven by the update rules written out, with their references, in
``tests/_reference/optimizers.py``; scikit-learn's initialisation written out
there; closed forms (one plain gradient-descent step, the decoupled decay of one
step).  The float32 / sparse and the schedule tests compare fastmlp with itself
(float64 dense input, the 'constant' schedule).  Mini-batch training over
several epochs is compared with the reference in
``tests/test_reference_training.py``.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from _cases import (
    assert_same_model,
    full_batch_estimator,
    full_batch_problem,
    reference_for,
)
from _reference.network import sklearn_glorot_init, train_minibatches
from _reference.optimizers import make_reference_optimizer
from numpy.testing import assert_allclose, assert_array_equal

from fastmlp import MLPRegressor

SOLVER_CONFIGS = [
    ("sgd", dict(momentum=0.0, learning_rate_init=0.1)),
    ("sgd", dict(momentum=0.9, nesterovs_momentum=False, learning_rate_init=0.05)),
    ("sgd", dict(momentum=0.9, nesterovs_momentum=True, learning_rate_init=0.05)),
    ("adam", dict(learning_rate_init=0.01)),
    ("adagrad", dict(learning_rate_init=0.05)),
    ("rmsprop", dict(learning_rate_init=0.01, rho=0.8)),
    ("adadelta", dict(learning_rate_init=1.0, rho=0.95, epsilon=1e-6)),
    ("adadelta", dict(learning_rate_init=0.5, rho=0.9)),
    ("adamw", dict(learning_rate_init=0.01, weight_decay=0.05)),
    ("adamw", dict(learning_rate_init=0.02, weight_decay=0.3, beta_1=0.8, beta_2=0.99)),
]
SOLVER_IDS = [
    f"{s}-{'-'.join(f'{k}={v}' for k, v in p.items())}" for s, p in SOLVER_CONFIGS
]
N_STEPS = 6


def _reference_trajectory(kind, solver, params, alpha, l1_ratio, n_steps, sw):
    X, y, _, case = full_batch_problem(kind)
    units = [3, 4, 3, 2 if kind == "reg" else 3]
    coefs, intercepts, _ = sklearn_glorot_init(units, 0, "tanh")
    ref, Y = reference_for(case, y, coefs, intercepts, "tanh", alpha, l1_ratio)
    est_params = {**MLPRegressor().get_params(), **params}
    opt = make_reference_optimizer(solver, ref.params, ref.is_coef, est_params)
    # One batch of all rows, no shuffling: each epoch is one step, and its
    # loss the objective before the step.
    losses = train_minibatches(ref, opt, X, Y, sw, len(X), n_steps, None, shuffle=False)
    return ref, losses


@pytest.mark.parametrize("alpha,l1_ratio", [(0.0, 0.0), (0.5, 0.0), (0.5, 0.5)])
@pytest.mark.parametrize("solver,params", SOLVER_CONFIGS, ids=SOLVER_IDS)
def test_optimizer_matches_published_rule(solver, params, alpha, l1_ratio):
    # Full batch (batch_size = n, no shuffling): one epoch is one step of the
    # rule on the full-batch objective, gradient from the NumPy network.
    X, y, sw, _ = full_batch_problem("reg")
    est = full_batch_estimator("reg", solver, params, alpha, l1_ratio, N_STEPS).fit(
        X, y, sample_weight=sw
    )
    ref, losses = _reference_trajectory("reg", solver, params, alpha, l1_ratio, N_STEPS, sw)
    assert est.n_iter_ == N_STEPS
    for got, want in zip(est.coefs_ + est.intercepts_, ref.coefs + ref.intercepts):
        assert_allclose(got, want, rtol=1e-10, atol=1e-13)
    # loss_curve_[t]: the objective at the weights before step t.
    assert_allclose(est.loss_curve_, losses, rtol=1e-10)


@pytest.mark.parametrize("solver,params", SOLVER_CONFIGS, ids=SOLVER_IDS)
def test_optimizer_matches_published_rule_classifier_partial_fit(solver, params):
    # The same through partial_fit (optimizer state kept between calls), on a
    # softmax classifier with an elastic-net penalty.
    X, y, sw, _ = full_batch_problem("clf")
    est = full_batch_estimator("clf", solver, params, 0.3, 0.5, 1)
    for _ in range(N_STEPS):
        est.partial_fit(X, y, sample_weight=sw, classes=[0, 1, 2])
    ref, losses = _reference_trajectory("clf", solver, params, 0.3, 0.5, N_STEPS, sw)
    for got, want in zip(est.coefs_ + est.intercepts_, ref.coefs + ref.intercepts):
        assert_allclose(got, want, rtol=1e-10, atol=1e-13)
    assert_allclose(est.loss_curve_, losses, rtol=1e-10)


def test_adamw_weight_decay_is_decoupled():
    # One full-batch step from the same weights: adam and adamw see the same
    # gradient, so adam - adamw is exactly lr * weight_decay * w0 on the
    # coefficients and 0 on the intercepts.
    X, y, _, _ = full_batch_problem("reg")
    common = dict(learning_rate_init=0.01, beta_1=0.9, beta_2=0.999)
    adam = full_batch_estimator("reg", "adam", common, 0.0, 0.0, 1).fit(X, y)
    adamw_params = dict(common, weight_decay=0.2)
    adamw = full_batch_estimator("reg", "adamw", adamw_params, 0.0, 0.0, 1).fit(X, y)
    coefs0, _, _ = sklearn_glorot_init([3, 4, 3, 2], 0, "tanh")
    for a, w, c0 in zip(adam.coefs_, adamw.coefs_, coefs0):
        assert_allclose(a - w, 0.01 * 0.2 * c0, rtol=1e-9, atol=1e-15)
    for a, w in zip(adam.intercepts_, adamw.intercepts_):
        assert_array_equal(a, w)


def test_sgd_full_batch_is_gradient_descent():
    # batch_size = n, momentum 0: w1 = w0 - lr * grad J(w0), exactly.
    X, y, sw, case = full_batch_problem("reg")
    est = full_batch_estimator(
        "reg", "sgd", dict(momentum=0.0, learning_rate_init=0.3), 0.2, 0.0, 1
    ).fit(X, y, sample_weight=sw)
    coefs, intercepts, _ = sklearn_glorot_init([3, 4, 3, 2], 0, "tanh")
    ref, Y = reference_for(case, y, coefs, intercepts, "tanh", 0.2, 0.0)
    _, _, cg, ig = ref.loss_grad(X, Y, sw)
    for got, w, g in zip(est.coefs_ + est.intercepts_, coefs + intercepts, cg + ig):
        assert_allclose(got, w - 0.3 * g, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("solver", ["adagrad", "rmsprop", "adadelta", "adamw"])
def test_solver_float32_and_sparse_match_dense_float64(solver):
    # float32 X trains a float32 network that follows the float64 one; CSR X
    # gives the float64 model of dense X.
    rng = np.random.RandomState(3)
    X = rng.normal(size=(50, 6))
    X[rng.uniform(size=X.shape) < 0.5] = 0.0
    y = X[:, 0] - 2 * X[:, 1] + 0.5 * X[:, 2] ** 2
    params = dict(
        hidden_layer_sizes=(8,),
        solver=solver,
        max_iter=5,
        random_state=0,
        learning_rate_init=1.0 if solver == "adadelta" else 0.01,
        dropout=0.2,
        l1_ratio=0.3,
        alpha=0.01,
    )
    dense = MLPRegressor(**params).fit(X, y)
    sparse = MLPRegressor(**params).fit(sp.csr_matrix(X), y)
    single = MLPRegressor(**params).fit(X.astype(np.float32), y)
    for d, s, f in zip(
        dense.coefs_ + dense.intercepts_,
        sparse.coefs_ + sparse.intercepts_,
        single.coefs_ + single.intercepts_,
    ):
        assert_allclose(s, d, rtol=1e-10, atol=1e-12)
        assert f.dtype == np.float32
        assert_allclose(f, d, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("solver", ["adam", "adagrad", "rmsprop", "adadelta", "adamw"])
@pytest.mark.parametrize("schedule", ["adaptive", "invscaling"])
def test_learning_rate_schedule_is_sgd_only(solver, schedule):
    # fastmlp's (and scikit-learn's) docs: learning_rate is the step-size
    # schedule of 'sgd' ("Only used when solver='sgd'"); the other solvers
    # must train exactly as with 'constant'.  A plateau is forced (large tol,
    # n_iter_no_change=2) so that 'adaptive' would act.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    y = X[:, 0] + 0.1 * rng.normal(size=60)
    params = dict(
        hidden_layer_sizes=(5,),
        solver=solver,
        tol=0.5,
        n_iter_no_change=2,
        max_iter=100,
        random_state=0,
        learning_rate_init=1.0 if solver == "adadelta" else 0.001,
    )
    const = MLPRegressor(learning_rate="constant", **params).fit(X, y)
    sched = MLPRegressor(learning_rate=schedule, **params).fit(X, y)
    assert sched.n_iter_ == const.n_iter_
    assert_same_model(sched, const)
