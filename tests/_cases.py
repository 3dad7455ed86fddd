"""Small problems, estimator configurations and their NumPy twins, shared by
the tests of the options fastmlp has beyond scikit-learn's MLP
(test_gradients.py, test_activations.py, test_optimizers.py,
test_regularization.py, test_dropout.py, test_weight_init.py,
test_class_weight.py, test_validation_loss_curve.py, test_coef_init.py,
test_losses.py, test_outputs.py, test_reference_network.py).

A *case* is (kind, target, loss, out_activation): a classifier ("clf") on a
binary, multiclass or multilabel target, or a regressor ("reg") with a loss and
an output activation.  ``setup_gradient_case`` gives a fitted estimator of a
case moved to random weights kept away from every point where the objective is
not twice differentiable, and ``reference_for`` the NumPy network of
``tests/_reference/network.py`` with the same weights, activations, loss and
penalty, which the tests compare fastmlp with.
"""

from itertools import pairwise

import numpy as np
import pytest
from _reference.network import NumpyMLP, encode_classes
from numpy.testing import assert_array_equal

from fastmlp import MLPClassifier, MLPRegressor

# Activations with a kink (a jump of f') at 0: data is kept away from it.
KINKED_ACTIVATIONS = {"relu", "leaky_relu", "selu"}


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
    case,
    activation,
    hidden,
    alpha,
    l1_ratio,
    seed,
    dtype=np.float64,
    n_outputs=1,
    scale=0.7,
):
    """A fitted estimator moved to random weights away from every kink, and
    its NumPy twin."""
    X, y, sw = make_case_data(case, seed, n_outputs)
    X = X.astype(dtype)
    est = make_case_estimator(case, activation, hidden, alpha, l1_ratio)
    est.fit(X, y, sample_weight=sw)
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


# ---------------------------------------------------------------------------
# Small problems
# ---------------------------------------------------------------------------
def full_batch_problem(kind):
    """(X, y, sw, case) of 20 rows, one batch of all rows with
    full_batch_estimator: a two-output regression or a three-class target."""
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


def full_batch_estimator(kind, solver, params, alpha, l1_ratio, max_iter):
    """Two tanh layers (4, 3) trained on batches of 20 rows in order, with
    no early stop: on full_batch_problem, one epoch is one step."""
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


def binary_problem():
    """(X, y): 40 rows, 4 features, a non-linear binary target."""
    rng = np.random.RandomState(5)
    X = rng.normal(size=(40, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] ** 2 > 0.3).astype(int)
    return X, y


def three_class_problem():
    """(X, y, sw): 45 rows, labels 'a', 'b', 'c' counted 25, 12, 8."""
    rng = np.random.RandomState(8)
    X = rng.normal(size=(45, 4))
    y = np.array(["a"] * 25 + ["b"] * 12 + ["c"] * 8)
    perm = rng.permutation(45)
    return X[perm], y[perm], rng.uniform(0.3, 2.0, size=45)


def assert_same_model(a, b):
    """The two estimators' coefs_ and intercepts_ are bitwise equal."""
    for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert_array_equal(u, v)


def differs(a, b):
    """Whether any coefs_ / intercepts_ entry of the two estimators differs."""
    return any(
        not np.array_equal(u, v)
        for u, v in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_)
    )
