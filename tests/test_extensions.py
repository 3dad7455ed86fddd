"""What fastmlp offers beyond scikit-learn's MLP: more activations, output
activations and losses, the adagrad / rmsprop / adadelta / adamw solvers, the
elastic-net penalty (l1_ratio), dropout, class_weight, weight_init,
coef_init / intercept_init, the validation loss curve and check_gradients.

Every expected number comes from a source independent of fastmlp: the NumPy
reference network of ``tests/_reference_network.py`` (forward pass, objective,
back-propagation with inverted dropout; its docstring states the objective),
the optimizers' published update rules in ``tests/_reference_optimizers.py``,
closed forms, finite differences, a textbook worked example, or scikit-learn.
fastmlp's private hook ``est._full_batch_loss_grad(X, y, sample_weight)`` is
used only to *read* the objective fastmlp trains with, which is then compared
with NumPy.  Mini-batch training over several epochs is compared with the
reference in ``tests/test_reference_training.py``.
"""

import copy
import warnings
from functools import partial
from itertools import pairwise

import numpy as np
import pytest
import scipy.sparse as sp
from _reference_network import (
    NumpyMLP,
    balanced_class_weights,
    central_differences,
    encode_classes,
    inverted_dropout_mask,
    pack,
    rel_err,
    sklearn_glorot_init,
    train_minibatches,
)
from _reference_optimizers import make_reference_optimizer
from _sklearn_checks import run_check
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit, softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from fastmlp import MLPClassifier, MLPRegressor, check_gradients

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

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
# Activations with a kink (a jump of f') at 0: data is kept away from it.
KINKED_ACTIVATIONS = {"relu", "leaky_relu", "selu"}


def fit_quietly(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)


# ===========================================================================
# 1. Gradient checks: activation x output activation / loss x depth
# ===========================================================================
CLF_CASES = [
    ("clf", target, loss, None)
    for loss in ("log_loss", "hinge", "squared_hinge")
    for target in ("binary", "multiclass", "multilabel")
]
REG_CASES = [
    ("reg", "reg1", loss, out)
    for loss in ("squared_error", "absolute_error", "huber")
    for out in (None, "identity", "logistic", "tanh", "exp", "softplus")
] + [("reg", "reg1", "poisson", out) for out in (None, "exp", "softplus", "logistic")]
ALL_CASES = CLF_CASES + REG_CASES
HUBER_DELTA = 0.5
N_GC, F_GC = 12, 3
HIDDEN_BY_DEPTH = {1: (4,), 2: (4, 3), 3: (3, 4, 3)}


def case_id(case):
    kind, target, loss, out = case
    return f"{kind}-{loss}-{target if kind == 'clf' else out}"


def _target_domain(loss, out):
    out = out or ("exp" if loss == "poisson" else "identity")
    return {
        "identity": "real",
        "logistic": "unit",
        "tanh": "sym",
        "exp": "pos",
        "softplus": "pos",
    }[out]


def make_case_data(case, seed, n_outputs=1):
    _, target, loss, out = case
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(N_GC, F_GC))
    sw = rng.uniform(0.2, 3.0, size=N_GC)
    if target == "binary":
        y = rng.permutation(np.array(["no", "yes"] * (N_GC // 2)))
    elif target == "multiclass":
        y = rng.permutation(np.array([3, 5, 9] * (N_GC // 3)))
    elif target == "multilabel":
        y = (rng.uniform(size=(N_GC, 3)) < 0.5).astype(int)
        y[0], y[1] = [1, 0, 1], [0, 1, 0]
    else:
        shape = (N_GC,) if n_outputs == 1 else (N_GC, n_outputs)
        domain = _target_domain(loss, out)
        if domain == "real":
            y = rng.normal(size=shape)
        elif domain == "unit":
            y = rng.uniform(0.05, 0.95, size=shape)
        elif domain == "sym":
            y = rng.uniform(-0.9, 0.9, size=shape)
        else:
            y = rng.uniform(0.2, 3.0, size=shape)
    return X, y, sw


def make_case_estimator(case, activation, hidden, alpha, l1_ratio, **extra):
    kind, _, loss, out = case
    params = dict(
        hidden_layer_sizes=hidden,
        activation=activation,
        alpha=alpha,
        l1_ratio=l1_ratio,
        solver="sgd",
        learning_rate_init=1e-3,
        max_iter=1,
        random_state=0,
        **extra,
    )
    if kind == "clf":
        return MLPClassifier(loss=loss, **params)
    return MLPRegressor(loss=loss, out_activation=out, huber_delta=HUBER_DELTA, **params)


def reference_for(case, y, coefs, intercepts, activation, alpha, l1_ratio):
    """(NumpyMLP, encoded targets) for a case."""
    kind, target, loss, out = case
    n_hidden = len(coefs) - 1
    hidden_acts = (
        list(activation) if not isinstance(activation, str) else [activation] * n_hidden
    )
    if kind == "clf":
        Y, _ = encode_classes(y)
        if loss == "log_loss":
            np_loss, out_act = (
                "log_loss",
                ("softmax" if target == "multiclass" else "logistic"),
            )
        else:
            np_loss = loss + ("_mc" if target == "multiclass" else "_bin")
            out_act = "identity"
    else:
        Y = np.asarray(y, dtype=np.float64)
        Y = Y[:, None] if Y.ndim == 1 else Y
        np_loss = loss
        out_act = out or ("exp" if loss == "poisson" else "identity")
    ref = NumpyMLP(
        coefs, intercepts, hidden_acts, out_act, np_loss, alpha, l1_ratio, HUBER_DELTA
    )
    return ref, Y


def distance_to_kinks(ref, X, Y):
    """Smallest distance of any quantity to a point where the objective is not
    twice differentiable (or to the log-loss clipping)."""
    zs, acts = ref.forward(X)
    d = np.inf
    for i, act in enumerate(ref.hidden_acts):
        if act in KINKED_ACTIVATIONS:
            d = min(d, np.abs(zs[i]).min())
    if ref.l1_ratio > 0 and ref.alpha > 0:
        d = min(d, min(np.abs(W).min() for W in ref.coefs))
    z, p = zs[-1], acts[-1]
    if ref.loss == "absolute_error":
        d = min(d, np.abs(p - Y).min())
    elif ref.loss == "huber":
        d = min(d, np.abs(np.abs(p - Y) - ref.huber_delta).min())
    elif ref.loss.endswith("_mc"):
        c = Y.argmax(1)
        m = z - z[np.arange(len(c)), c][:, None] + 1.0
        m[np.arange(len(c)), c] = np.inf
        d = min(d, np.abs(m).min())
    elif ref.loss.endswith("_bin"):
        d = min(d, np.abs(1.0 - (2 * Y - 1) * z).min())
    elif ref.loss == "log_loss" and min(p.min(), (1 - p).min()) < 1e-8:
        d = 0.0
    return d


def setup_gradient_case(
    case, activation, hidden, alpha, l1_ratio, seed, dtype=np.float64, n_outputs=1, scale=0.7
):
    """A fitted estimator moved to random weights away from every kink, and
    its NumPy twin."""
    X, y, sw = make_case_data(case, seed, n_outputs)
    X = X.astype(dtype)
    est = make_case_estimator(case, activation, hidden, alpha, l1_ratio)
    fit_quietly(est, X, y, sample_weight=sw)
    units = [F_GC] + list(hidden) + [est.coefs_[-1].shape[1]]
    rng = np.random.RandomState(seed + 1000)
    for _ in range(200):
        coefs = [rng.normal(scale=scale, size=(a, b)) for a, b in pairwise(units)]
        intercepts = [rng.normal(scale=scale, size=b) for b in units[1:]]
        ref, Y = reference_for(case, y, coefs, intercepts, activation, alpha, l1_ratio)
        # The finite-difference step moves pre-activations by ~1e-5 at most.
        if distance_to_kinks(ref, X, Y) > 2e-3:
            break
    else:  # pragma: no cover
        pytest.fail("could not draw weights away from the kinks")
    est.coefs_ = [c.astype(dtype) for c in coefs]
    est.intercepts_ = [b.astype(dtype) for b in intercepts]
    return est, X, y, sw, ref, Y


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


def test_activation_list_is_used_per_layer():
    # A list of activations gives layer i activation[i]: predictions equal a
    # NumPy forward pass with those activations (and differ from reversed).
    case = REG_CASES[0]
    X, y, _ = make_case_data(case, 1)
    acts = ["gaussian", "relu", "tanh"]
    est = fit_quietly(make_case_estimator(case, acts, (4, 4, 3), 0.0, 0.0), X, y)
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
    def fun(c, b):
        return ref.__class__(
            c,
            b,
            ref.hidden_acts,
            ref.out_act,
            ref.loss,
            ref.alpha,
            ref.l1_ratio,
            ref.huber_delta,
        ).objective(X, Y, sw)[0]

    numeric = central_differences(fun, ref.coefs, ref.intercepts, eps=1e-6)
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


def test_numpy_reference_gradient_is_right():
    # Sanity of the reference itself: back-propagation == finite differences
    # of the NumPy objective, for every loss family.
    for case in [ALL_CASES[i] for i in (0, 1, 2, 4, 7, 10)] + [
        REG_CASES[i] for i in (3, 8, 17, 19)
    ]:
        X, y, sw = make_case_data(case, 21)
        rng = np.random.RandomState(4)
        units = [F_GC, 4, 3, {"multiclass": 3, "multilabel": 3}.get(case[1], 1)]
        for _ in range(100):
            coefs = [rng.normal(scale=0.7, size=(a, b)) for a, b in pairwise(units)]
            intercepts = [rng.normal(scale=0.7, size=b) for b in units[1:]]
            ref, Y = reference_for(case, y, coefs, intercepts, "selu", 0.4, 0.5)
            if distance_to_kinks(ref, X, Y) > 2e-3:
                break

        def fun(c, b, ref=ref, X=X, Y=Y, sw=sw):
            return NumpyMLP(
                c,
                b,
                ref.hidden_acts,
                ref.out_act,
                ref.loss,
                ref.alpha,
                ref.l1_ratio,
                ref.huber_delta,
            ).objective(X, Y, sw)[0]

        _, _, cg, ig = ref.loss_grad(X, Y, sw)
        numeric = central_differences(fun, coefs, intercepts, eps=1e-6)
        assert rel_err(pack(cg, ig), numeric) < 1e-7, case


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


# ===========================================================================
# 2. Optimizers against their published rules (tests/_reference_optimizers.py)
# ===========================================================================
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
SOLVER_IDS = [f"{s}-{'-'.join(f'{k}={v}' for k, v in p.items())}" for s, p in SOLVER_CONFIGS]
N_STEPS = 6


def _optimizer_problem(kind):
    rng = np.random.RandomState(17)
    X = rng.normal(size=(20, 3))
    if kind == "reg":
        y = np.column_stack([np.sin(X[:, 0]) + X[:, 1], X[:, 2] ** 2 - 0.5])
        case = ("reg", "reg1", "squared_error", None)
    else:
        y = np.array([0, 1, 2, 1] * 5)[rng.permutation(20)]
        case = ("clf", "multiclass", "log_loss", None)
    sw = rng.uniform(0.5, 2.0, size=20)
    return X, y, sw, case


def _reference_trajectory(kind, solver, params, alpha, l1_ratio, n_steps, sw):
    X, y, _, case = _optimizer_problem(kind)
    units = [3, 4, 3, 2 if kind == "reg" else 3]
    coefs, intercepts, _ = sklearn_glorot_init(units, 0, "tanh")
    ref, Y = reference_for(case, y, coefs, intercepts, "tanh", alpha, l1_ratio)
    est_params = {**MLPRegressor().get_params(), **params}
    opt = make_reference_optimizer(solver, ref.params, ref.is_coef, est_params)
    # One batch of all rows, no shuffling: each epoch is one step, and its
    # loss the objective before the step.
    losses = train_minibatches(ref, opt, X, Y, sw, len(X), n_steps, None, shuffle=False)
    return ref, losses


def _full_batch_estimator(kind, solver, params, alpha, l1_ratio, max_iter):
    cls = MLPRegressor if kind == "reg" else MLPClassifier
    return cls(
        hidden_layer_sizes=(4, 3),
        activation="tanh",
        solver=solver,
        alpha=alpha,
        l1_ratio=l1_ratio,
        batch_size=20,
        shuffle=False,
        tol=0.0,
        n_iter_no_change=10_000,
        max_iter=max_iter,
        random_state=0,
        **params,
    )


@pytest.mark.parametrize("alpha,l1_ratio", [(0.0, 0.0), (0.5, 0.0), (0.5, 0.5)])
@pytest.mark.parametrize("solver,params", SOLVER_CONFIGS, ids=SOLVER_IDS)
def test_optimizer_matches_published_rule(solver, params, alpha, l1_ratio):
    # Full batch (batch_size = n, no shuffling): one epoch is one step of the
    # rule on the full-batch objective, gradient from the NumPy network.
    X, y, sw, _ = _optimizer_problem("reg")
    est = fit_quietly(
        _full_batch_estimator("reg", solver, params, alpha, l1_ratio, N_STEPS),
        X,
        y,
        sample_weight=sw,
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
    X, y, sw, _ = _optimizer_problem("clf")
    est = _full_batch_estimator("clf", solver, params, 0.3, 0.5, 1)
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
    X, y, _, _ = _optimizer_problem("reg")
    common = dict(learning_rate_init=0.01, beta_1=0.9, beta_2=0.999)
    adam = fit_quietly(_full_batch_estimator("reg", "adam", common, 0.0, 0.0, 1), X, y)
    adamw = fit_quietly(
        _full_batch_estimator("reg", "adamw", dict(common, weight_decay=0.2), 0.0, 0.0, 1),
        X,
        y,
    )
    coefs0, _, _ = sklearn_glorot_init([3, 4, 3, 2], 0, "tanh")
    for a, w, c0 in zip(adam.coefs_, adamw.coefs_, coefs0):
        assert_allclose(a - w, 0.01 * 0.2 * c0, rtol=1e-9, atol=1e-15)
    for a, w in zip(adam.intercepts_, adamw.intercepts_):
        assert_array_equal(a, w)


def test_sgd_full_batch_is_gradient_descent():
    # batch_size = n, momentum 0: w1 = w0 - lr * grad J(w0), exactly.
    X, y, sw, case = _optimizer_problem("reg")
    est = fit_quietly(
        _full_batch_estimator(
            "reg", "sgd", dict(momentum=0.0, learning_rate_init=0.3), 0.2, 0.0, 1
        ),
        X,
        y,
        sample_weight=sw,
    )
    coefs, intercepts, _ = sklearn_glorot_init([3, 4, 3, 2], 0, "tanh")
    ref, Y = reference_for(case, y, coefs, intercepts, "tanh", 0.2, 0.0)
    _, _, cg, ig = ref.loss_grad(X, Y, sw)
    for got, w, g in zip(est.coefs_ + est.intercepts_, coefs + intercepts, cg + ig):
        assert_allclose(got, w - 0.3 * g, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("solver", ["adagrad", "rmsprop", "adadelta", "adamw"])
def test_new_solvers_float32_and_sparse(solver):
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
    dense = fit_quietly(MLPRegressor(**params), X, y)
    sparse = fit_quietly(MLPRegressor(**params), sp.csr_matrix(X), y)
    single = fit_quietly(MLPRegressor(**params), X.astype(np.float32), y)
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
    const = fit_quietly(MLPRegressor(learning_rate="constant", **params), X, y)
    sched = fit_quietly(MLPRegressor(learning_rate=schedule, **params), X, y)
    assert sched.n_iter_ == const.n_iter_
    _assert_same_model(sched, const)


# ===========================================================================
# 3. l1_ratio: the elastic-net penalty in the objective, intercepts free
# ===========================================================================
@pytest.mark.parametrize("l1_ratio", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("case", [ALL_CASES[1], REG_CASES[0]], ids=case_id)
def test_l1_ratio_penalty_in_objective(case, l1_ratio):
    alpha = 0.9
    est, X, y, sw, ref, Y = setup_gradient_case(case, "tanh", (4, 3), alpha, l1_ratio, seed=31)
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
    X, y, _, _ = _optimizer_problem("clf")
    params = dict(
        hidden_layer_sizes=(5,),
        solver=solver,
        batch_size=6,
        max_iter=5,
        random_state=0,
        learning_rate_init=0.05,
    )
    ours = fit_quietly(MLPClassifier(alpha=2.0, l1_ratio=0.0, **params), X, y)
    sk = fit_quietly(SkMLPClassifier(alpha=2.0, **params), X, y)
    for u, v in zip(ours.coefs_ + ours.intercepts_, sk.coefs_ + sk.intercepts_):
        assert_allclose(u, v, rtol=1e-9, atol=1e-12)
    assert_allclose(ours.loss_curve_, sk.loss_curve_, rtol=1e-10)
    free = fit_quietly(SkMLPClassifier(alpha=0.0, **params), X, y)
    assert rel_err(pack(free.coefs_, []), pack(sk.coefs_, [])) > 1e-3


# ===========================================================================
# 4. dropout
# ===========================================================================
def _dropout_problem():
    rng = np.random.RandomState(5)
    X = rng.normal(size=(40, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] ** 2 > 0.3).astype(int)
    return X, y


def _dropout_fit(dropout, random_state=0, coef_init=None, intercept_init=None, **kw):
    X, y = _dropout_problem()
    params = dict(
        hidden_layer_sizes=(6, 5),
        activation="relu",
        solver="adam",
        max_iter=8,
        random_state=random_state,
        dropout=dropout,
    )
    params.update(kw)
    return fit_quietly(
        MLPClassifier(**params), X, y, coef_init=coef_init, intercept_init=intercept_init
    )


def _assert_same_model(a, b):
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_array_equal(u, v)


def _differs(a, b):
    return any(
        not np.array_equal(u, v)
        for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_)
    )


@pytest.mark.parametrize("dropout", [0.3, [0.5, 0.2], (0.0, 0.4)], ids=str)
def test_dropout_reproducible_and_random_state_dependent(dropout):
    _assert_same_model(_dropout_fit(dropout, 0), _dropout_fit(dropout, 0))
    # Same initial weights, different random_state: only the masks (and the
    # shuffling) differ, and the models must differ.
    init = _dropout_fit(0.0, 0, max_iter=1)
    c0 = [c.copy() for c in init.coefs_]
    b0 = [b.copy() for b in init.intercepts_]
    a = _dropout_fit(dropout, 1, c0, b0, shuffle=False)
    b = _dropout_fit(dropout, 2, c0, b0, shuffle=False)
    assert _differs(a, b), "dropout masks must depend on random_state"
    no_drop = _dropout_fit(0.0, 1, c0, b0, shuffle=False)
    assert _differs(a, no_drop), "dropout must change training"


def test_dropout_partial_fit_reproducible():
    X, y = _dropout_problem()
    models = []
    for _ in range(2):
        est = MLPClassifier((6, 5), dropout=0.3, random_state=3)
        for _ in range(3):
            est.partial_fit(X, y, classes=[0, 1])
        models.append(est)
    _assert_same_model(*models)


def test_dropout_prediction_deterministic_and_without_dropout():
    X, y = _dropout_problem()
    est = _dropout_fit([0.5, 0.3], 0)
    p1, p2 = est.predict_proba(X), est.predict_proba(X)
    assert_array_equal(p1, p2)
    assert_array_equal(est.predict(X), est.predict(X))
    ref = NumpyMLP(est.coefs_, est.intercepts_, ["relu", "relu"], "logistic", "log_loss")
    p_ref = ref.predict(X).ravel()
    assert_allclose(p1[:, 1], p_ref, rtol=1e-12, atol=1e-15)
    assert est.score(X, y) == accuracy_score(y, (p_ref > 0.5).astype(int))


def test_inverted_dropout_closed_form():
    # One hidden identity layer, identity output, targets equal to the
    # no-dropout prediction p0 of the initial weights: the first epoch's
    # training loss (of the weights before the step, with masks) is then in
    # expectation 0.5 * r / (1 - r) * mean_i sum_k h_ik^2 w_k^2 for inverted
    # dropout (E[p] = p0); plain dropout would give E[p] = (1 - r) p0.
    rng = np.random.RandomState(0)
    n, f, width, r = 3000, 5, 60, 0.4
    X = rng.normal(size=(n, f))
    W0 = rng.normal(scale=0.3, size=(f, width))
    b0 = rng.normal(scale=0.3, size=width)
    W1 = rng.normal(scale=0.3, size=(width, 1))
    b1 = np.array([0.5])
    H = X @ W0 + b0
    p0 = (H @ W1 + b1).ravel()
    est = MLPRegressor(
        hidden_layer_sizes=(width,),
        activation="identity",
        solver="sgd",
        momentum=0.0,
        learning_rate_init=1e-12,
        alpha=0.0,
        batch_size=n,
        shuffle=False,
        max_iter=1,
        dropout=r,
        random_state=0,
    )
    fit_quietly(est, X, p0, coef_init=[W0, W1], intercept_init=[b0, b1])
    expected = 0.5 * r / (1 - r) * np.mean((H**2) @ (W1.ravel() ** 2))
    # n * width = 180000 Bernoulli masks: the sample loss is within ~1% of its
    # expectation (a few standard deviations).
    assert est.loss_curve_[0] == pytest.approx(expected, rel=0.03)
    plain = 0.5 * np.mean(r**2 * (p0 - b1) ** 2 + r * (1 - r) * (H**2) @ (W1.ravel() ** 2))
    assert abs(est.loss_curve_[0] - plain) > 0.1 * expected


def _binomial_bound(rate, n_draws):
    """Half-width of a 5-sigma interval for the fraction of n_draws units a
    dropout rate drops (a miss has probability < 1e-6)."""
    return 5 * np.sqrt(rate * (1 - rate) / n_draws)


@pytest.mark.parametrize("dropout", [[0.5, 0.2], [0.2, 0.5], 0.3], ids=str)
def test_dropout_backprop_and_per_layer_rates_one_sample_steps(dropout):
    # One sample per step (partial_fit on one row), plain sgd, alpha = 0:
    # a unit's outgoing weights move iff the unit was kept (their gradient is
    # h * m * delta, with tanh(z) != 0 and delta != 0), which reads out the
    # mask each layer drew.  With those masks the NumPy network's masked
    # forward and backward pass (tests/_reference_network.py) must give
    # the step of *every* parameter.  The read-out never looks at a layer's
    # incoming weights, which is where a backward pass ignoring the mask
    # shows (it would move the incoming weights of dropped units, whose
    # gradient is 0); a layer given the other layer's rate fails both the
    # 1 / (1 - rate) scale of the step and the binomial bounds below.
    widths, n_steps, lr = (48, 40), 16, 0.1
    rates = [dropout] * 2 if np.isscalar(dropout) else dropout
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_steps + 1, 3))
    y = rng.normal(size=n_steps + 1)
    est = MLPRegressor(
        hidden_layer_sizes=widths,
        activation="tanh",
        solver="sgd",
        momentum=0.0,
        learning_rate_init=lr,
        alpha=0.0,
        dropout=dropout,
        # A RandomState instance goes on across partial_fit calls: a new
        # dropout draw every step.
        random_state=np.random.RandomState(1),
    )
    est.partial_fit(X[:1], y[:1])  # initialises the network
    dropped = np.zeros(2)
    for r in range(1, n_steps + 1):
        coefs, intercepts = [c.copy() for c in est.coefs_], [b.copy() for b in est.intercepts_]
        est.partial_fit(X[r : r + 1], y[r : r + 1])
        kept = [np.any(est.coefs_[i + 1] != coefs[i + 1], axis=1) for i in range(2)]
        dropped += [np.sum(~k) for k in kept]
        masks = [k[None, :] / (1 - rate) for k, rate in zip(kept, rates)]
        ref = NumpyMLP(coefs, intercepts, ["tanh", "tanh"], "identity", "squared_error")
        value, _, cg, ig = ref.loss_grad(X[r : r + 1], y[r : r + 1], masks=masks)
        step = pack(est.coefs_, est.intercepts_) - pack(coefs, intercepts)
        # Measured: 3e-15 relative; a backward pass leaving the masks out
        # would be off by 0.4 or more.
        assert rel_err(step, -lr * pack(cg, ig)) < 1e-12
        assert est.loss_curve_[-1] == pytest.approx(value, rel=1e-12)
    for rate, width, count in zip(rates, widths, dropped):
        n_draws = n_steps * width
        assert abs(count / n_draws - rate) < _binomial_bound(rate, n_draws), (rate, count)


def test_dropout_masks_per_row_of_a_batch():
    # A batch of 12 rows whose inputs have disjoint supports (X diagonal):
    # row r of W0 only gets sample r's gradient, x_r * delta_r, whose zeros
    # are the units dropped for sample r.  Masks differ from row to row, drop
    # the given fraction, and with them the reference's masked pass gives the
    # whole step (the output weights sum over all rows and masks).
    n, width, rate, lr = 12, 30, 0.4, 0.1
    rng = np.random.RandomState(3)
    X = np.diag(rng.uniform(0.5, 1.5, size=n) * rng.choice([-1.0, 1.0], size=n))
    y = rng.normal(size=n)
    coefs = [rng.normal(scale=0.5, size=(n, width)), rng.normal(scale=0.5, size=(width, 1))]
    intercepts = [rng.normal(scale=0.5, size=width), rng.normal(scale=0.5, size=1)]
    est = MLPRegressor(
        hidden_layer_sizes=(width,),
        activation="tanh",
        solver="sgd",
        momentum=0.0,
        learning_rate_init=lr,
        alpha=0.0,
        batch_size=n,
        max_iter=1,
        dropout=rate,
        random_state=0,
    )
    fit_quietly(est, X, y, coef_init=coefs, intercept_init=intercepts)
    kept = est.coefs_[0] != coefs[0]  # (sample, unit)
    assert abs(np.mean(~kept) - rate) < _binomial_bound(rate, kept.size)
    assert len({row.tobytes() for row in kept}) > n // 2, "one mask shared by the batch"
    ref = NumpyMLP(coefs, intercepts, ["tanh"], "identity", "squared_error")
    value, _, cg, ig = ref.loss_grad(X, y, masks=[kept / (1 - rate)])
    step = pack(est.coefs_, est.intercepts_) - pack(coefs, intercepts)
    # Measured: 3e-15 relative.  A backward pass leaving the masks out would
    # move every entry of W0 and fail the drop fraction above.
    assert rel_err(step, -lr * pack(cg, ig)) < 1e-12
    assert est.loss_curve_[0] == pytest.approx(value, rel=1e-12)


def test_reference_masked_backprop_is_right():
    # Sanity of the reference itself: its masked back-propagation equals
    # central differences of its masked objective (masks held fixed).
    rng = np.random.RandomState(7)
    X, y = rng.normal(size=(9, 3)), rng.normal(size=9)
    units = [3, 5, 4, 1]
    coefs = [rng.normal(scale=0.7, size=(a, b)) for a, b in pairwise(units)]
    intercepts = [rng.normal(scale=0.7, size=b) for b in units[1:]]
    masks = [inverted_dropout_mask(rng, (9, 5), 0.5), inverted_dropout_mask(rng, (9, 4), 0.25)]
    ref = NumpyMLP(coefs, intercepts, ["tanh", "softplus"], "identity", "huber", 0.3, 0.0, 0.4)

    def fun(c, b):
        net = NumpyMLP(c, b, ["tanh", "softplus"], "identity", "huber", 0.3, 0.0, 0.4)
        return net.objective(X, y, masks=masks)[0]

    _, _, cg, ig = ref.loss_grad(X, y, masks=masks)
    assert rel_err(pack(cg, ig), central_differences(fun, coefs, intercepts)) < 1e-7
    # Dropped units' incoming weights get no gradient.
    dropped_everywhere = np.all(masks[0] == 0, axis=0)
    assert np.all(cg[0][:, dropped_everywhere] == 0)


def test_dropout_with_lbfgs_raises():
    X, y = _dropout_problem()
    for dropout in (0.2, [0.0, 0.1]):
        with pytest.raises(ValueError):
            MLPClassifier((6, 5), solver="lbfgs", dropout=dropout).fit(X, y)
    fit_quietly(MLPClassifier((6, 5), solver="lbfgs", dropout=0.0, max_iter=5), X, y)
    fit_quietly(MLPClassifier((6, 5), solver="lbfgs", dropout=[0.0, 0.0], max_iter=5), X, y)


@pytest.mark.parametrize("dropout", [[0.1], [0.1, 0.1, 0.1], 1.0, -0.1, [0.2, 1.0]], ids=str)
def test_dropout_invalid(dropout):
    X, y = _dropout_problem()
    with pytest.raises(ValueError):
        MLPClassifier((6, 5), dropout=dropout, max_iter=2).fit(X, y)


@pytest.mark.parametrize("dropout", ["default", 0.0, [0.0, 0.0]], ids=str)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_dropout_zero_trains_as_sklearn(solver, dropout):
    # No dropout (the default, a zero rate, or a list of zero rates) is
    # scikit-learn's training: same weights and loss curve (measured: 2e-15
    # relative).
    X, y = _dropout_problem()
    params = dict(
        hidden_layer_sizes=(6, 5),
        solver=solver,
        max_iter=6,
        random_state=0,
        learning_rate_init=0.01,
        batch_size=16,
    )
    extra = {} if dropout == "default" else dict(dropout=dropout)
    ours = fit_quietly(MLPClassifier(**params, **extra), X, y)
    sk = fit_quietly(SkMLPClassifier(**params), X, y)
    for u, v in zip(ours.coefs_ + ours.intercepts_, sk.coefs_ + sk.intercepts_):
        assert_allclose(u, v, rtol=1e-9, atol=1e-12)
    assert_allclose(ours.loss_curve_, sk.loss_curve_, rtol=1e-10)


# ===========================================================================
# 5. weight_init
# ===========================================================================
def _init_weights(
    weight_init, n_in=400, n_hidden=300, activation="relu", random_state=0, cls=MLPRegressor
):
    """Weights right after initialisation: one sgd step with lr = 1e-300 and
    no momentum changes no weight of normal size (|lr * g| << ulp(w))."""
    rng = np.random.RandomState(1)
    X = rng.normal(size=(6, n_in))
    y = rng.normal(size=6) if cls is MLPRegressor else np.array([0, 1] * 3)
    params = dict(
        hidden_layer_sizes=(n_hidden,),
        activation=activation,
        solver="sgd",
        momentum=0.0,
        learning_rate_init=1e-300,
        max_iter=1,
        random_state=random_state,
        shuffle=False,
    )
    if cls in (MLPRegressor, MLPClassifier):
        params["weight_init"] = weight_init
    return fit_quietly(cls(**params), X, y)


@pytest.mark.parametrize("activation", ["relu", "logistic", "tanh"])
@pytest.mark.parametrize(
    "cls,sk_cls", [(MLPRegressor, SkMLPRegressor), (MLPClassifier, SkMLPClassifier)]
)
def test_glorot_uniform_default_is_sklearn_bitwise(cls, sk_cls, activation):
    ours = _init_weights("glorot_uniform", 7, 5, activation, 3, cls)
    sk = _init_weights(None, 7, 5, activation, 3, sk_cls)
    units = [7, 5, 1]
    coefs, intercepts, _ = sklearn_glorot_init(units, 3, activation)
    for u, v, w in zip(
        ours.coefs_ + ours.intercepts_, sk.coefs_ + sk.intercepts_, coefs + intercepts
    ):
        assert_array_equal(u, v)
        assert_array_equal(u, w)
    assert cls().get_params()["weight_init"] == "glorot_uniform"


def test_glorot_uniform_after_one_epoch_matches_sklearn():
    X, y = _dropout_problem()
    params = dict(hidden_layer_sizes=(6,), max_iter=1, random_state=11)
    ours = fit_quietly(MLPClassifier(weight_init="glorot_uniform", **params), X, y)
    sk = fit_quietly(SkMLPClassifier(**params), X, y)
    for u, v in zip(ours.coefs_ + ours.intercepts_, sk.coefs_ + sk.intercepts_):
        assert_allclose(u, v, rtol=1e-6, atol=1e-12)


INIT_SCHEMES = {
    # name: (kind, scale as a function of fan_in, fan_out): std for normal,
    # bound for uniform.
    "glorot_normal": ("normal", lambda fi, fo: np.sqrt(2.0 / (fi + fo))),
    "he_uniform": ("uniform", lambda fi, fo: np.sqrt(6.0 / fi)),
    "he_normal": ("normal", lambda fi, fo: np.sqrt(2.0 / fi)),
    "lecun_normal": ("normal", lambda fi, fo: np.sqrt(1.0 / fi)),
}


@pytest.mark.parametrize("weight_init", list(INIT_SCHEMES))
def test_weight_init_distribution(weight_init):
    kind, scale = INIT_SCHEMES[weight_init]
    est = _init_weights(weight_init)
    W = est.coefs_[0]
    assert W.shape == (400, 300)
    s = scale(400, 300)
    expected_std = s if kind == "normal" else s / np.sqrt(3)
    assert np.std(W) == pytest.approx(expected_std, rel=0.03)
    assert abs(np.mean(W)) < 4 * expected_std / np.sqrt(W.size)
    kurt = np.mean((W - W.mean()) ** 4) / np.var(W) ** 2 - 3
    if kind == "uniform":
        assert np.abs(W).max() <= s
        assert np.abs(W).max() > 0.99 * s
        assert kurt == pytest.approx(-1.2, abs=0.1)
        assert np.abs(est.coefs_[1]).max() <= scale(300, 1)
    else:
        assert kurt > -0.6, "weights look uniform, not normal"
    # Output layer 300 -> 1 follows the same formula (std over 300 draws).
    assert np.std(est.coefs_[1]) == pytest.approx(
        scale(300, 1) if kind == "normal" else scale(300, 1) / np.sqrt(3), rel=0.25
    )
    for b in est.intercepts_:
        assert np.all(np.abs(b) < 1e-250), "biases must start at zero"
    # Reproducible, and random_state-dependent.
    assert_array_equal(W, _init_weights(weight_init).coefs_[0])
    assert not np.array_equal(W, _init_weights(weight_init, random_state=1).coefs_[0])


def test_weight_init_invalid():
    X, y = _dropout_problem()
    with pytest.raises(ValueError):
        MLPClassifier(weight_init="xavier").fit(X, y)


# ===========================================================================
# 6. class_weight
# ===========================================================================
def _cw_problem():
    rng = np.random.RandomState(8)
    X = rng.normal(size=(45, 4))
    y = np.array(["a"] * 25 + ["b"] * 12 + ["c"] * 8)
    perm = rng.permutation(45)
    return X[perm], y[perm], rng.uniform(0.3, 2.0, size=45)


CW_PARAMS = dict(hidden_layer_sizes=(5,), max_iter=5, random_state=0, batch_size=16)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_class_weight_balanced_equals_sample_weight(solver):
    X, y, sw = _cw_problem()
    # n_samples / (n_classes * class count), written out: counts 25, 12, 8.
    csw = np.select([y == "a", y == "b"], [45 / (3 * 25), 45 / (3 * 12)], 45 / (3 * 8))
    assert_allclose(csw, balanced_class_weights(y), rtol=1e-15)
    a = fit_quietly(MLPClassifier(class_weight="balanced", solver=solver, **CW_PARAMS), X, y)
    b = fit_quietly(MLPClassifier(solver=solver, **CW_PARAMS), X, y, sample_weight=csw)
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_allclose(u, v, rtol=1e-12, atol=0)
    # combined with sample_weight: the product
    a = fit_quietly(
        MLPClassifier(class_weight="balanced", solver=solver, **CW_PARAMS),
        X,
        y,
        sample_weight=sw,
    )
    b = fit_quietly(MLPClassifier(solver=solver, **CW_PARAMS), X, y, sample_weight=sw * csw)
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_allclose(u, v, rtol=1e-12, atol=0)
    # and is not a no-op
    c = fit_quietly(MLPClassifier(solver=solver, **CW_PARAMS), X, y, sample_weight=sw)
    assert _differs(a, c)


def test_class_weight_dict_times_sample_weight():
    X, y, sw = _cw_problem()
    cw = {"a": 0.5, "c": 3.0}  # "b" not given: weight 1
    per_sample = np.array([cw.get(label, 1.0) for label in y])
    a = fit_quietly(MLPClassifier(class_weight=cw, **CW_PARAMS), X, y, sample_weight=sw)
    b = fit_quietly(MLPClassifier(**CW_PARAMS), X, y, sample_weight=sw * per_sample)
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_allclose(u, v, rtol=1e-12, atol=0)
    # The objective seen by check_gradients includes the class weights.
    la = a._full_batch_loss_grad(X, y, sample_weight=sw)[0]
    lb = b._full_batch_loss_grad(X, y, sample_weight=sw * per_sample)[0]
    assert_allclose(la, lb, rtol=1e-12)
    # partial_fit with a dict works and equals the weighted partial_fit
    pa = MLPClassifier(class_weight=cw, **CW_PARAMS).partial_fit(
        X, y, sw, classes=["a", "b", "c"]
    )
    pb = MLPClassifier(**CW_PARAMS).partial_fit(X, y, sw * per_sample, classes=["a", "b", "c"])
    for u, v in zip(pa.coefs_ + pa.intercepts_, pb.coefs_ + pb.intercepts_):
        assert_allclose(u, v, rtol=1e-12, atol=0)


def test_class_weight_balanced_partial_fit_raises():
    X, y, _ = _cw_problem()
    est = MLPClassifier(class_weight="balanced", **CW_PARAMS)
    with pytest.raises(ValueError):
        est.partial_fit(X, y, classes=["a", "b", "c"])


def test_class_weight_none_trains_as_sklearn():
    # class_weight=None leaves the sample weights alone: the fit is
    # scikit-learn's (same adam mini-batches, same shuffling) with them
    # (measured: 3e-16 relative).
    X, y, sw = _cw_problem()
    a = fit_quietly(MLPClassifier(class_weight=None, **CW_PARAMS), X, y, sample_weight=sw)
    b = fit_quietly(SkMLPClassifier(**CW_PARAMS), X, y, sample_weight=sw)
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_allclose(u, v, rtol=1e-9, atol=1e-12)
    assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-10)


# ===========================================================================
# 7. validation_loss_curve_
# ===========================================================================
@pytest.mark.parametrize("kind", ["reg", "clf"])
@pytest.mark.parametrize("with_sw,alpha", [(False, 0.0), (True, 0.0), (True, 0.5)])
def test_validation_loss_curve_reproduced(kind, with_sw, alpha):
    # Full-batch sgd on the training rows, reproduced in NumPy: the split is
    # train_test_split(arange(n)) with the random state right after the
    # initialisation (stratified for a single-output classifier), the curve
    # the validation data loss (no penalty) after every epoch, before the
    # best weights are restored.  With alpha > 0 training minimises the
    # penalised objective while the curve stays the data loss.
    rng = np.random.RandomState(12)
    n = 40
    X = rng.normal(size=(n, 3))
    if kind == "reg":
        y = np.sin(X[:, 0]) + 0.3 * X[:, 1]
        cls, case = MLPRegressor, ("reg", "reg1", "squared_error", None)
    else:
        y = (X[:, 0] + 0.3 * rng.normal(size=n) > 0).astype(int)
        cls, case = MLPClassifier, ("clf", "binary", "log_loss", None)
    sw = rng.uniform(0.5, 2.0, size=n) if with_sw else None
    n_epochs, lr = 7, 0.2
    est = cls(
        hidden_layer_sizes=(4,),
        activation="tanh",
        solver="sgd",
        momentum=0.0,
        learning_rate_init=lr,
        alpha=alpha,
        batch_size=30,
        shuffle=False,
        early_stopping=True,
        validation_fraction=0.25,
        n_iter_no_change=1000,
        tol=0.0,
        max_iter=n_epochs,
        random_state=4,
    )
    fit_quietly(est, X, y, sample_weight=sw)
    assert len(est.validation_loss_curve_) == len(est.validation_scores_) == est.n_iter_
    assert est.n_iter_ == n_epochs
    assert np.all(np.isfinite(est.validation_loss_curve_))

    coefs, intercepts, rs = sklearn_glorot_init([3, 4, 1], 4, "tanh")
    Yfull = encode_classes(y)[0] if kind == "clf" else y[:, None]
    stratify = encode_classes(y)[0].astype(int) if kind == "clf" else None
    train, val = train_test_split(
        np.arange(n), random_state=rs, test_size=0.25, stratify=stratify
    )
    sw_all = np.ones(n) if sw is None else sw
    ref, _ = reference_for(case, y, coefs, intercepts, "tanh", alpha, 0.0)
    curve, scores = [], []
    for _ in range(n_epochs):
        _, _, cg, ig = ref.loss_grad(X[train], Yfull[train], sw_all[train])
        for w, g in zip(ref.coefs + ref.intercepts, cg + ig):
            w -= lr * g
        curve.append(ref.objective(X[val], Yfull[val], sw_all[val])[1])
        p = ref.predict(X[val])
        if kind == "reg":
            scores.append(
                r2_score(y[val], p.ravel(), sample_weight=None if sw is None else sw[val])
            )
        else:
            scores.append(
                accuracy_score(
                    y[val],
                    (p.ravel() > 0.5).astype(int),
                    sample_weight=None if sw is None else sw[val],
                )
            )
    assert_allclose(est.validation_scores_, scores, rtol=1e-9)
    assert_allclose(est.validation_loss_curve_, curve, rtol=1e-9)


def test_validation_loss_curve_none_without_early_stopping():
    X, y, _ = _cw_problem()
    est = fit_quietly(MLPClassifier((5,), max_iter=3, random_state=0), X, y)
    assert est.validation_loss_curve_ is None
    assert est.validation_scores_ is None
    est = fit_quietly(
        MLPClassifier(
            (5,), max_iter=30, random_state=0, early_stopping=True, n_iter_no_change=2
        ),
        X,
        y,
    )
    assert len(est.validation_loss_curve_) == len(est.validation_scores_) == est.n_iter_
    assert all(np.isfinite(v) and v > 0 for v in est.validation_loss_curve_)


# ===========================================================================
# 8. coef_init / intercept_init
# ===========================================================================
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
    fit_quietly(est, X, y, coef_init=coef_init, intercept_init=intercept_init)
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
    X, y, sw, case = _optimizer_problem(kind)
    rng = np.random.RandomState(2)
    units = [3, 4, 3, 2 if kind == "reg" else 3]
    coefs = [rng.normal(size=(a, b)) for a, b in pairwise(units)]
    intercepts = [rng.normal(size=b) for b in units[1:]]
    est = _full_batch_estimator(
        kind, "sgd", dict(momentum=0.0, learning_rate_init=0.2), 0.3, 0.0, 1
    )
    fit_quietly(est, X, y, sample_weight=sw, coef_init=coefs, intercept_init=intercepts)
    ref, Y = reference_for(case, y, coefs, intercepts, "tanh", 0.3, 0.0)
    value, _, cg, ig = ref.loss_grad(X, Y, sw)
    assert est.loss_curve_[0] == pytest.approx(value, rel=1e-11)
    for got, w, g in zip(est.coefs_ + est.intercepts_, coefs + intercepts, cg + ig):
        assert_allclose(got, w - 0.2 * g, rtol=1e-12, atol=1e-15)


def test_coef_init_only_or_intercept_init_only():
    X, y, _, _ = _optimizer_problem("reg")
    units = [3, 4, 3, 2]
    coefs0, intercepts0, _ = sklearn_glorot_init(units, 0, "tanh")
    coefs = [np.full((a, b), 0.1) for a, b in pairwise(units)]
    intercepts = [np.full(b, -0.2) for b in units[1:]]
    common = dict(momentum=0.0, learning_rate_init=1e-300)
    est = fit_quietly(
        _full_batch_estimator("reg", "sgd", common, 0.0, 0.0, 1), X, y, coef_init=coefs
    )
    for got, want in zip(est.coefs_ + est.intercepts_, coefs + intercepts0):
        assert_array_equal(got, want)
    est = fit_quietly(
        _full_batch_estimator("reg", "sgd", common, 0.0, 0.0, 1),
        X,
        y,
        intercept_init=intercepts,
    )
    for got, want in zip(est.coefs_ + est.intercepts_, coefs0 + intercepts):
        assert_array_equal(got, want)


@pytest.mark.parametrize(
    "which", ["coef_shape", "coef_count", "intercept_shape", "intercept_count", "transposed"]
)
def test_coef_init_wrong_shapes_raise(which):
    X, y, _, _ = _optimizer_problem("clf")
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
    est = _full_batch_estimator("clf", "sgd", {}, 0.0, 0.0, 1)
    with pytest.raises(ValueError):
        est.fit(X, y, coef_init=coefs, intercept_init=intercepts)


# ===========================================================================
# 9. hinge / squared_hinge classifiers, decision_function
# ===========================================================================
@pytest.mark.parametrize("loss", ["hinge", "squared_hinge"])
@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
def test_hinge_classifier_outputs(loss, target):
    X, y, _ = make_case_data(("clf", target, loss, None), 40)
    est = fit_quietly(
        MLPClassifier(
            (5,),
            activation="tanh",
            loss=loss,
            max_iter=30,
            random_state=0,
            learning_rate_init=0.05,
        ),
        X,
        y,
    )
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
    est = fit_quietly(
        MLPClassifier((5,), activation="relu", max_iter=20, random_state=0), X, y
    )
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


def test_hinge_binary_loss_value():
    # Closed form on fixed weights: mean of max(0, 1 - t s) with t = +-1.
    case = ("clf", "binary", "hinge", None)
    est, X, y, sw, ref, _ = setup_gradient_case(case, "identity", (3,), 0.0, 0.0, seed=3)
    s = ref.predict(X).ravel()
    t = np.where(y == "yes", 1.0, -1.0)
    expected = np.sum(sw * np.maximum(0, 1 - t * s)) / sw.sum()
    assert_allclose(est._full_batch_loss_grad(X, y, sample_weight=sw)[0], expected, rtol=1e-12)


def test_hinge_multiclass_loss_value():
    case = ("clf", "multiclass", "squared_hinge", None)
    est, X, y, sw, ref, _ = setup_gradient_case(case, "identity", (3,), 0.0, 0.0, seed=4)
    s = ref.predict(X)
    classes = np.unique(y)
    c = np.searchsorted(classes, y)
    per = []
    for i in range(len(y)):
        per.append(sum(max(0.0, s[i, j] - s[i, c[i]] + 1) ** 2 for j in range(3) if j != c[i]))
    expected = np.sum(sw * np.array(per)) / sw.sum()
    assert_allclose(est._full_batch_loss_grad(X, y, sample_weight=sw)[0], expected, rtol=1e-12)


# ===========================================================================
# 10. MLPRegressor output activations and robust losses
# ===========================================================================
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
    est = fit_quietly(
        MLPRegressor(
            hidden_layer_sizes=(6,),
            activation="tanh",
            out_activation=out,
            max_iter=50,
            random_state=0,
            learning_rate_init=0.01,
        ),
        X,
        y,
    )
    assert est.out_activation_ == out
    for Xt in (X, 3 * X):
        p = est.predict(Xt)
        assert np.all(p > low) and np.all(p < high)
        ref = NumpyMLP(est.coefs_, est.intercepts_, ["tanh"], out, "squared_error")
        assert_allclose(p, ref.predict(Xt).ravel(), rtol=1e-12, atol=1e-15)


def test_regressor_out_activation_none():
    X, y, _ = make_case_data(("reg", "reg1", "poisson", None), 2)
    assert (
        fit_quietly(
            MLPRegressor(hidden_layer_sizes=(3,), loss="poisson", max_iter=2), X, y
        ).out_activation_
        == "exp"
    )
    assert (
        fit_quietly(MLPRegressor(hidden_layer_sizes=(3,), max_iter=2), X, y).out_activation_
        == "identity"
    )
    assert (
        fit_quietly(
            MLPRegressor(hidden_layer_sizes=(3,), loss="huber", max_iter=2), X, y
        ).out_activation_
        == "identity"
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
    fit_quietly(est, X, y, sample_weight=sw, coef_init=coefs, intercept_init=intercepts)
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


# ===========================================================================
# 11. scikit-learn's estimator checks on non-default configurations
# ===========================================================================
def _expected_failed_checks(estimator):
    # Dropout draws an independent mask for every row, so a sample repeated
    # k times is not the same as that sample with weight k: the
    # weights-vs-repetitions equivalence cannot hold with dropout > 0 (in
    # any implementation), and scikit-learn's check tests exactly that.
    if np.any(np.asarray(estimator.dropout) > 0):
        reason = "dropout: per-row random masks break weights == repetitions"
        return {
            "check_sample_weight_equivalence_on_dense_data": reason,
            "check_sample_weight_equivalence_on_sparse_data": reason,
        }
    return {}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(
    [
        MLPClassifier(loss="hinge", max_iter=50, random_state=0),
        MLPClassifier(
            activation="gelu", solver="adamw", dropout=0.1, max_iter=50, random_state=0
        ),
        MLPClassifier(
            activation=["leaky_relu"],
            loss="squared_hinge",
            solver="adagrad",
            learning_rate_init=0.01,
            weight_init="glorot_normal",
            max_iter=50,
            random_state=0,
        ),
        MLPRegressor(
            loss="huber",
            out_activation="identity",
            activation="elu",
            max_iter=50,
            random_state=0,
        ),
        MLPRegressor(solver="rmsprop", l1_ratio=0.5, max_iter=50, random_state=0),
        MLPRegressor(
            loss="absolute_error",
            solver="adadelta",
            weight_init="he_normal",
            learning_rate_init=1.0,
            max_iter=50,
            random_state=0,
        ),
    ],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_compatible_extensions(estimator, check, monkeypatch):
    run_check(partial(check, estimator), monkeypatch)
