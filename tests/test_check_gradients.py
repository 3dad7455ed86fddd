"""fastmlp.check_gradients, and the gradient fastmlp trains with for every
hidden activation, output activation / loss and depth.

check_gradients(est, X, y, sample_weight) compares the analytic gradient of the
training objective with central differences.  It runs here on every loss /
output combination, every hidden activation, one to three hidden layers and
two outputs, a list of activations (one per layer), with and without the
elastic-net penalty, in float64 and float32, on fitted and unfitted
estimators, with dropout and class weights, on data kept away from every kink.

Every expected number comes from a source independent of fastmlp: the NumPy
reference network of ``tests/_reference/network.py`` (forward pass, objective,
back-propagation; its docstring states the objective), central differences of
that NumPy objective, and scikit-learn's initialisation and 'balanced' class
weights written out there.  fastmlp's private hook
``est._full_batch_loss_grad(X, y, sample_weight)`` is used only to *read* the
objective fastmlp trains with, which is then compared with NumPy.  That hook is
checked against central differences of itself, parameter by parameter, in
``tests/test_gradients.py``; the reference's own back-propagation in
``tests/test_reference_network.py``.
"""

import numpy as np
import pytest
from _cases import (
    ALL_CASES,
    F_GC,
    REG_CASES,
    case_id,
    make_case_data,
    reference_for,
    setup_gradient_case,
)
from _reference.network import (
    balanced_class_weights,
    central_differences,
    pack,
    rel_err,
    sklearn_glorot_init,
)
from numpy.testing import assert_allclose, assert_array_equal

from fastmlp import MLPClassifier, check_gradients

HIDDEN_ACTIVATIONS = [
    "identity",
    "logistic",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "selu",
    "softplus",
    "gelu",
    "silu",
    "gaussian",
]
HIDDEN_BY_DEPTH = {1: (4,), 2: (4, 3), 3: (3, 4, 3)}


def _assert_gradient_case(case, activation, n_hidden, l1_ratio, seed, n_outputs=1):
    hidden = HIDDEN_BY_DEPTH[n_hidden]
    alpha = 0.4
    est, X, y, sw, ref, Y = setup_gradient_case(
        case, activation, hidden, alpha, l1_ratio, seed, n_outputs=n_outputs
    )
    res = check_gradients(est, X, y, sample_weight=sw)
    # Data kept > 2e-3 away from every kink (distance_to_kinks), so the
    # smooth float64 bound applies to every case.
    assert res.relative_error < 1e-7, res.relative_error
    assert len(res.per_layer) == n_hidden + 1
    assert (
        res.gradient.shape
        == res.numerical_gradient.shape
        == (sum(c.size for c in est.coefs_) + sum(b.size for b in est.intercepts_),)
    )
    # The objective fastmlp differentiates is the documented one ...
    loss, cg, ig = est._full_batch_loss_grad(X, y, sample_weight=sw)
    value_np, _, cg_np, ig_np = ref.loss_grad(X, Y, sw)
    assert_allclose(loss, value_np, rtol=1e-11)
    # ... and its gradient is that of an independent back-propagation.
    assert rel_err(res.gradient, pack(cg_np, ig_np)) < 1e-9
    assert rel_err(pack(cg, ig), pack(cg_np, ig_np)) < 1e-9


# Every loss / output combination with two smooth activations, 2 hidden layers.
@pytest.mark.parametrize("activation", ["tanh", "gelu"])
@pytest.mark.parametrize("case", ALL_CASES, ids=case_id)
def test_gradient_every_loss_and_output(case, activation):
    idx = ALL_CASES.index(case)
    l1_ratio = 0.5 if (idx + (activation == "gelu")) % 2 else 0.0
    _assert_gradient_case(case, activation, 2, l1_ratio, seed=10 * idx + len(activation))


# Every hidden activation with four losses, 1 hidden layer.
ACT_CASES = [
    ("clf", "multiclass", "log_loss", None),
    ("reg", "reg1", "squared_error", None),
    ("reg", "reg1", "huber", "identity"),
    ("clf", "binary", "hinge", None),
]


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("case", ACT_CASES, ids=case_id)
def test_gradient_every_activation(case, activation):
    idx = HIDDEN_ACTIVATIONS.index(activation)
    l1_ratio = 0.5 if idx % 2 else 0.0
    _assert_gradient_case(
        case, activation, 1, l1_ratio, seed=100 + 7 * idx + ACT_CASES.index(case)
    )


# Depths 1-3 on a subset, activations cycled, two-output regression included.
DEPTH_CASES = [
    (("clf", "multilabel", "log_loss", None), 1),
    (("reg", "reg1", "poisson", None), 1),
    (("reg", "reg1", "absolute_error", "softplus"), 1),
    (("clf", "multiclass", "squared_hinge", None), 1),
    (("clf", "multilabel", "hinge", None), 1),
    (("reg", "reg1", "squared_error", None), 2),
    (("reg", "reg1", "huber", None), 2),
    (("reg", "reg1", "absolute_error", None), 2),
]


@pytest.mark.parametrize("n_hidden", [1, 2, 3])
@pytest.mark.parametrize(
    "case,n_outputs", DEPTH_CASES, ids=[case_id(c) + f"-{k}out" for c, k in DEPTH_CASES]
)
def test_gradient_depths(case, n_outputs, n_hidden):
    idx = DEPTH_CASES.index((case, n_outputs))
    activation = HIDDEN_ACTIVATIONS[(3 * idx + n_hidden) % len(HIDDEN_ACTIVATIONS)]
    _assert_gradient_case(
        case,
        activation,
        n_hidden,
        l1_ratio=0.5 * (n_hidden % 2),
        seed=300 + 11 * idx + n_hidden,
        n_outputs=n_outputs,
    )


@pytest.mark.parametrize(
    "activation",
    [["relu", "gelu", "gaussian"], ("selu", "tanh", "softplus"), ["elu", "silu", "logistic"]],
    ids=str,
)
@pytest.mark.parametrize("case", [ALL_CASES[1], REG_CASES[2]], ids=case_id)
def test_gradient_activation_list(case, activation):
    _assert_gradient_case(case, activation, 3, l1_ratio=0.5, seed=500)


def test_check_gradients_unfitted_estimator():
    # An unfitted estimator is checked at the weights fit would start from:
    # scikit-learn's initialisation, reproduced here in NumPy.
    case = ALL_CASES[1]  # multiclass log loss
    X, y, sw = make_case_data(case, 3)
    est = MLPClassifier(
        hidden_layer_sizes=(4, 3), activation="tanh", alpha=0.3, l1_ratio=0.5, random_state=7
    )
    res = check_gradients(est, X, y, sample_weight=sw)
    assert not hasattr(est, "coefs_"), "check_gradients must not fit the estimator"
    assert res.relative_error < 1e-7
    assert len(res.per_layer) == 3
    coefs, intercepts, _ = sklearn_glorot_init([F_GC, 4, 3, 3], 7, "tanh")
    ref, Y = reference_for(case, y, coefs, intercepts, "tanh", 0.3, 0.5)
    _, _, cg, ig = ref.loss_grad(X, Y, sw)
    assert rel_err(res.gradient, pack(cg, ig)) < 1e-9


@pytest.mark.parametrize(
    "extra",
    [
        dict(dropout=0.5),
        dict(dropout=[0.3, 0.6]),
        dict(class_weight="balanced"),
        dict(class_weight={3: 2.0, 9: 0.25}),
    ],
    ids=str,
)
def test_check_gradients_dropout_and_class_weight(extra):
    # The checked objective has no dropout and includes the class weights.
    case = ALL_CASES[1]  # multiclass log loss, labels 3, 5, 9
    X, _, sw = make_case_data(case, 5)
    # Unequal class counts (6, 4, 2), so 'balanced' weights are not all 1.
    y = np.random.RandomState(5).permutation([3] * 6 + [5] * 4 + [9] * 2)
    est = MLPClassifier(
        hidden_layer_sizes=(4, 3), activation="tanh", alpha=0.3, random_state=2, **extra
    )
    res = check_gradients(est, X, y, sample_weight=sw)
    assert res.relative_error < 1e-7
    cw = extra.get("class_weight")
    if cw is None:
        weights = sw
    elif cw == "balanced":
        weights = sw * balanced_class_weights(y)  # 12 / (3 * count): 2/3, 1, 2
    else:
        weights = sw * np.array([cw.get(label, 1.0) for label in y])
    coefs, intercepts, _ = sklearn_glorot_init([F_GC, 4, 3, 3], 2, "tanh")
    ref, Y = reference_for(case, y, coefs, intercepts, "tanh", 0.3, 0.0)
    _, _, cg, ig = ref.loss_grad(X, Y, weights)
    assert rel_err(res.gradient, pack(cg, ig)) < 1e-9


def test_check_gradients_fitted_estimator_untouched_and_independent():
    case = REG_CASES[8]  # absolute_error, logistic output
    est, X, y, sw, ref, Y = setup_gradient_case(case, "softplus", (4, 3), 0.4, 0.5, seed=9)
    before = [c.copy() for c in est.coefs_ + est.intercepts_]
    res = check_gradients(est, X, y, sample_weight=sw, eps=1e-6)
    for a, b in zip(before, est.coefs_ + est.intercepts_):
        assert_array_equal(a, b)
    assert res.eps == 1e-6
    assert res.relative_error < 1e-7

    # The numerical gradient check_gradients reports equals central differences
    # of the NumPy objective, and the analytic one the NumPy back-propagation.
    numeric = central_differences(lambda: ref.objective(X, Y, sw)[0], ref.params, eps=1e-6)
    assert rel_err(res.numerical_gradient, numeric) < 1e-7
    _, _, cg, ig = ref.loss_grad(X, Y, sw)
    assert rel_err(res.gradient, pack(cg, ig)) < 1e-9
    # max_abs_error and per_layer agree with the vectors returned
    diff = np.abs(res.gradient - res.numerical_gradient)
    assert_allclose(res.max_abs_error, diff.max(), rtol=1e-12)
    assert max(d["max_abs_error"] for d in res.per_layer) == pytest.approx(diff.max())
    for d in res.per_layer:
        assert set(d) >= {
            "layer",
            "coef_relative_error",
            "intercept_relative_error",
            "max_abs_error",
        }
        assert d["coef_relative_error"] < 1e-7 and d["intercept_relative_error"] < 1e-7


@pytest.mark.parametrize(
    "case", [ALL_CASES[1], ALL_CASES[2], REG_CASES[0], REG_CASES[3]], ids=case_id
)
def test_gradient_check_float32(case):
    est, X, y, sw, ref, Y = setup_gradient_case(
        case, "tanh", (4, 3), 0.4, 0.0, seed=77, dtype=np.float32
    )
    assert all(c.dtype == np.float32 for c in est.coefs_)
    res = check_gradients(est, X, y, sample_weight=sw)
    assert res.eps == pytest.approx(np.cbrt(np.finfo(np.float32).eps))
    # float32 objective: the difference quotient carries rounding error of
    # about eps32 * |J| / eps ~ 1e-5 relative; 1e-2 is a loose bound.
    assert res.relative_error < 1e-2, res.relative_error
    assert rel_err(res.gradient, pack(*ref.loss_grad(X, Y, sw)[2:])) < 1e-4
