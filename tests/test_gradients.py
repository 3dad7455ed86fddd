"""The gradient fastmlp trains with, checked two independent ways, and
fastmlp.check_gradients.

1. Against central differences of fastmlp's own objective.  The private hook
   ``est._full_batch_loss_grad(X, y, sample_weight)`` returns the full-batch
   training objective at the estimator's *current* ``coefs_`` /
   ``intercepts_`` together with its gradient.  Every single parameter (each
   element of every weight matrix and every bias vector) is perturbed by +-eps
   in place and the central difference of the returned objective is compared
   with the returned gradient, for scikit-learn's activations and tasks, one
   to three hidden layers, float64 and float32.  The objective value itself is
   compared with an independent NumPy implementation of the documented
   objective (the reference network of ``tests/_reference/network.py``, with
   the log loss's clipping at the training dtype's eps written out here):

       sum_i s_i * loss_i / sum_i s_i  +  0.5 * alpha * sum_l ||W_l||^2 / sum_i s_i

   where loss_i is the (clipped) log loss for classifiers (binary, softmax or
   multilabel), 0.5 * sum over outputs of the squared error for squared_error
   regression (summed -- not averaged -- over outputs), and the half Poisson
   deviance with exponential output for poisson regression.  Intercepts are
   not penalised.

2. Against the back-propagation of the NumPy reference network, through
   check_gradients(est, X, y, sample_weight), which compares the analytic
   gradient of the training objective with central differences.  It runs on
   every loss / output combination, every hidden activation, one to three
   hidden layers and two outputs, a list of activations (one per layer), with
   and without the elastic-net penalty, in float64 and float32, on fitted and
   unfitted estimators, with dropout and class weights, on data kept away from
   every kink.  Every expected number comes from a source independent of
   fastmlp: the reference network (forward pass, objective, back-propagation;
   its docstring states the objective), central differences of that NumPy
   objective, and scikit-learn's initialisation and 'balanced' class weights
   written out there; the hook is used only to *read* the objective fastmlp
   trains with.  The reference's own back-propagation is checked in
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
    NumpyMLP,
    balanced_class_weights,
    central_differences,
    encode_classes,
    pack,
    rel_err,
    sklearn_glorot_init,
)
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import xlogy

from fastmlp import MLPClassifier, MLPRegressor, check_gradients

# ---------------------------------------------------------------------------
# 1. The hook against central differences of itself
# ---------------------------------------------------------------------------
ACTIVATIONS = ["identity", "logistic", "tanh", "relu"]
TASKS = [
    "binary",
    "multiclass",
    "multilabel",
    "regression",
    "regression_2out",
    "poisson",
]
CLASSIFICATION_TASKS = {"binary", "multiclass", "multilabel"}
HIDDEN = {1: (5,), 2: (4, 3), 3: (5, 4, 3)}
N_SAMPLES = 15
N_FEATURES = 4
ALPHA = 0.1

# Finite-difference step, bound on the relative gradient error and rtol on
# the objective value.  In float32 the differences are formed in float64 from
# the float32 objectives, using the actually stored (rounded) perturbed
# parameter values; ReLU gets a smaller step so that fewer samples cross the
# kink at 0 within +-eps.  Measured over every activation, task and depth: float64
# gradient errors up to 2e-8 (per array) and objectives within 4.3e-16 relative;
# float32 gradient errors up to 2.5e-3 and objectives within 3.8e-7.
SETTINGS = {
    np.float64: dict(eps=1e-6, eps_relu=1e-6, grad_tol=1e-7, loss_rtol=1e-13),
    np.float32: dict(eps=2e-3, eps_relu=3e-4, grad_tol=1e-2, loss_rtol=5e-6),
}


def _seed(*parts):
    return sum(
        (i + 1) * 7919 * len(str(p)) + sum(map(ord, str(p))) for i, p in enumerate(parts)
    ) % (2**31)


def _make_data(task, seed):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    sample_weight = rng.uniform(0.2, 3.0, size=N_SAMPLES)
    if task == "binary":
        # labels deliberately not {0, 1}
        y = rng.permutation(np.array([3, 7] * 8)[:N_SAMPLES])
    elif task == "multiclass":
        y = rng.permutation(np.array(["a", "b", "c"] * 5))
    elif task == "multilabel":
        y = (rng.uniform(size=(N_SAMPLES, 3)) < 0.5).astype(int)
        y[0] = [1, 0, 1]
        y[1] = [0, 1, 0]
    elif task == "regression":
        y = rng.normal(size=N_SAMPLES)
    elif task == "regression_2out":
        y = rng.normal(size=(N_SAMPLES, 2)) * np.array([1.0, 2.5]) + np.array([0.3, -1])
    elif task == "poisson":
        y = rng.uniform(0.5, 4.0, size=N_SAMPLES)
    else:  # pragma: no cover
        raise ValueError(task)
    return X, y, sample_weight


def _make_estimator(task, activation, hidden):
    params = dict(
        hidden_layer_sizes=hidden,
        activation=activation,
        alpha=ALPHA,
        solver="adam",
        max_iter=1,
        random_state=0,
    )
    if task in CLASSIFICATION_TASKS:
        return MLPClassifier(**params)
    if task == "poisson":
        return MLPRegressor(loss="poisson", **params)
    return MLPRegressor(loss="squared_error", **params)


def _fitted_network(task, activation, n_hidden, dtype):
    """Initialise an estimator by a 1-epoch fit, then move its parameters
    (in place) to a random point away from the initialisation."""
    seed = _seed(task, activation, n_hidden, np.dtype(dtype).name)
    X, y, sw = _make_data(task, seed)
    X = X.astype(dtype)
    est = _make_estimator(task, activation, HIDDEN[n_hidden])
    est.fit(X, y, sample_weight=sw)

    assert len(est.coefs_) == n_hidden + 1
    for arr in est.coefs_ + est.intercepts_:
        assert arr.dtype == dtype

    rng = np.random.RandomState(seed + 1)
    for arr in est.coefs_ + est.intercepts_:
        arr[...] = rng.normal(scale=0.6, size=arr.shape)
    return est, X, y, sw


# Output activation and loss of the NumPy reference network for each task.
TASK_OUTPUT = {
    "binary": ("logistic", "log_loss"),
    "multiclass": ("softmax", "log_loss"),
    "multilabel": ("logistic", "log_loss"),
    "regression": ("identity", "squared_error"),
    "regression_2out": ("identity", "squared_error"),
    "poisson": ("exp", "poisson"),
}


def _reference_objective(task, activation, coefs, intercepts, X, y, sw, dtype):
    """Independent float64 implementation of the documented objective: the NumPy
    network of tests/_reference/network.py.  Its log loss clips the
    probabilities at float64's eps; fastmlp clips them, as scikit-learn does, at
    the eps of the training dtype (2**-23 for float32), so for classifiers the
    log loss is written out here on the reference's probabilities with that
    clip."""
    out_act, loss = TASK_OUTPUT[task]
    net = NumpyMLP(coefs, intercepts, [activation] * (len(coefs) - 1), out_act, loss, ALPHA)
    if task not in CLASSIFICATION_TASKS:
        return net.objective(X, np.asarray(y, dtype=np.float64), sw)[0]
    t = encode_classes(y)[0]
    clip = np.finfo(dtype).eps
    p = np.clip(net.predict(X), clip, 1 - clip)
    if task == "multiclass":
        per_sample = -xlogy(t, p).sum(axis=1)
    else:
        per_sample = -(xlogy(t, p) + xlogy(1 - t, 1 - p)).sum(axis=1)
    sw = np.ones(len(X)) if sw is None else np.asarray(sw, dtype=np.float64)
    return np.dot(sw, per_sample) / sw.sum() + net.penalty() / sw.sum()


def _loss(est, X, y, sw):
    return float(est._full_batch_loss_grad(X, y, sample_weight=sw)[0])


def _flat(arrays):
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays])


def _rel_err(g, n):
    return np.linalg.norm(g - n) / np.linalg.norm(g + n)


# float64 on every depth; float32 on 2 hidden layers by default and on the
# other depths in the 'slow' selection.
DEPTH_DTYPE = [
    pytest.param(1, np.float64, id="1-f64"),
    pytest.param(2, np.float64, id="2-f64"),
    pytest.param(3, np.float64, id="3-f64"),
    pytest.param(1, np.float32, id="1-f32", marks=pytest.mark.slow),
    pytest.param(2, np.float32, id="2-f32"),
    pytest.param(3, np.float32, id="3-f32", marks=pytest.mark.slow),
]


@pytest.mark.parametrize("n_hidden, dtype", DEPTH_DTYPE)
@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_numerical_gradient(activation, task, n_hidden, dtype):
    settings = SETTINGS[dtype]
    est, X, y, sw = _fitted_network(task, activation, n_hidden, dtype)
    coefs_before = [c.copy() for c in est.coefs_]
    inter_before = [b.copy() for b in est.intercepts_]

    loss, coef_grads, inter_grads = est._full_batch_loss_grad(X, y, sample_weight=sw)

    # structure of the returned gradient
    assert len(coef_grads) == len(est.coefs_)
    assert len(inter_grads) == len(est.intercepts_)
    for g, c in zip(coef_grads, est.coefs_):
        assert np.shape(g) == c.shape
    for g, b in zip(inter_grads, est.intercepts_):
        assert np.shape(g) == b.shape
    # the hook must not modify the parameters
    for a, b in zip(est.coefs_ + est.intercepts_, coefs_before + inter_before):
        np.testing.assert_array_equal(a, b)

    # objective value against an independent implementation
    expected_loss = _reference_objective(
        task, activation, est.coefs_, est.intercepts_, X, y, sw, dtype
    )
    assert np.isfinite(loss)
    np.testing.assert_allclose(float(loss), expected_loss, rtol=settings["loss_rtol"])

    eps = settings["eps_relu"] if activation == "relu" else settings["eps"]
    # every element of coefs_ and intercepts_ perturbed in place, the step taken
    # from the stored (in float32, rounded) values
    params = est.coefs_ + est.intercepts_
    n = central_differences(lambda: _loss(est, X, y, sw), params, eps)

    # parameters were restored exactly
    for a, b in zip(est.coefs_ + est.intercepts_, coefs_before + inter_before):
        np.testing.assert_array_equal(a, b)

    g = _flat(list(coef_grads) + list(inter_grads))
    assert np.all(np.isfinite(g))
    assert np.linalg.norm(n) > 0
    err = _rel_err(g, n)
    assert err < settings["grad_tol"], (
        f"whole-network relative gradient error {err:.3g} >= {settings['grad_tol']:.1g}"
    )

    # Per-array check, so that an error in a small array (e.g. one bias
    # vector) cannot hide in the norm of the whole network.
    # (arrays whose gradient is tiny compared to the whole network, e.g. the
    # first layer of a deep logistic net, are compared against 10% of the
    # whole-network norm instead of their own norm)
    floor = 1e-1 * np.linalg.norm(g + n)
    pairs = zip(
        list(coef_grads) + list(inter_grads),
        np.split(n, np.cumsum([p.size for p in params])[:-1]),
    )
    names = [f"coefs_[{i}]" for i in range(len(coef_grads))] + [
        f"intercepts_[{i}]" for i in range(len(inter_grads))
    ]
    for name, (ga, na) in zip(names, pairs):
        ga = np.asarray(ga, dtype=np.float64).ravel()
        denom = max(np.linalg.norm(ga + na), floor)
        err_a = np.linalg.norm(ga - na) / denom
        assert err_a < settings["grad_tol"], f"{name}: relative gradient error {err_a:.3g}"

    # the hook is a pure function of the current parameters
    loss2, coef_grads2, inter_grads2 = est._full_batch_loss_grad(X, y, sample_weight=sw)
    assert float(loss2) == pytest.approx(float(loss), rel=1e-12)
    np.testing.assert_allclose(
        _flat(list(coef_grads2) + list(inter_grads2)), g, rtol=1e-12, atol=1e-300
    )


@pytest.mark.parametrize("task", TASKS)
def test_hook_without_sample_weight_and_new_arrays(task):
    """sample_weight=None means unit weights (sum = n_samples), and assigning
    new parameter arrays (not only in-place edits) is picked up."""
    est, X, y, sw = _fitted_network(task, "tanh", 2, np.float64)
    loss_none, cg_none, ig_none = est._full_batch_loss_grad(X, y)
    loss_ones, cg_ones, ig_ones = est._full_batch_loss_grad(
        X, y, sample_weight=np.ones(len(X))
    )
    expected = _reference_objective(
        task, "tanh", est.coefs_, est.intercepts_, X, y, None, np.float64
    )
    # measured: within 3.1e-16 relative of the reference; None and ones identical
    np.testing.assert_allclose(float(loss_none), expected, rtol=1e-13)
    np.testing.assert_allclose(float(loss_ones), expected, rtol=1e-13)
    np.testing.assert_allclose(
        _flat(list(cg_none) + list(ig_none)),
        _flat(list(cg_ones) + list(ig_ones)),
        rtol=1e-13,
        atol=1e-16,
    )

    # integer sample weights are equivalent to repeating samples (both for
    # the data term and for the sum(sample_weight) normalising the penalty)
    reps = np.arange(len(X)) % 3  # 0, 1 and 2 repetitions
    loss_int, cg_int, ig_int = est._full_batch_loss_grad(
        X, y, sample_weight=reps.astype(float)
    )
    idx = np.repeat(np.arange(len(X)), reps)
    loss_rep, cg_rep, ig_rep = est._full_batch_loss_grad(X[idx], y[idx])
    # measured: losses within 1.8e-16 relative, gradients within 2.3e-16 absolute
    np.testing.assert_allclose(float(loss_int), float(loss_rep), rtol=1e-13)
    np.testing.assert_allclose(
        _flat(list(cg_int) + list(ig_int)),
        _flat(list(cg_rep) + list(ig_rep)),
        rtol=1e-12,
        atol=1e-15,
    )

    rng = np.random.RandomState(0)
    est.coefs_[0] = est.coefs_[0] * 1.5
    est.intercepts_[-1] = est.intercepts_[-1] + rng.normal(
        scale=0.3, size=est.intercepts_[-1].shape
    )
    expected_new = _reference_objective(
        task, "tanh", est.coefs_, est.intercepts_, X, y, None, np.float64
    )
    np.testing.assert_allclose(
        float(est._full_batch_loss_grad(X, y)[0]), expected_new, rtol=1e-13
    )


# ---------------------------------------------------------------------------
# 2. check_gradients, and the gradient against the reference's back-propagation
# ---------------------------------------------------------------------------
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
    [
        ["relu", "gelu", "gaussian"],
        ("selu", "tanh", "softplus"),
        ["elu", "silu", "logistic"],
    ],
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
        hidden_layer_sizes=(4, 3),
        activation="tanh",
        alpha=0.3,
        l1_ratio=0.5,
        random_state=7,
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
