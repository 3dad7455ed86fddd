"""Mini-batch training against the NumPy reference network.

fastmlp's stochastic solvers are run the way they are used: several
mini-batches per epoch (the last one short), shuffling, several epochs,
sample weights, the elastic-net penalty, class weights and dropout.  The expected
weights and loss curves come from ``tests/_reference/network.py`` (forward
and backward pass, scikit-learn's batch order) driven by the published update
rules in ``tests/_reference/optimizers.py``; the initial weights from
scikit-learn's initialisation written out there.  Nothing is taken from
fastmlp's own output.

What a wrong step would break here: the L1 subgradient's sign, a huber delta
other than the one given, optimizer state (Adagrad's sum, RMSprop's and
Adadelta's averages, Adam's moments and step count) not carried from batch to
batch, epoch to epoch or partial_fit call to call, Adam's bias correction
shifted by a step, the 'balanced' class weights, the batch order, dropout
masks that overlap from batch to batch or repeat from epoch to epoch.
"""

import numpy as np
import pytest
from _reference.network import (
    NumpyMLP,
    balanced_class_weights,
    encode_classes,
    pack,
    rel_err,
    sklearn_glorot_init,
    train_minibatches,
)
from _reference.optimizers import make_reference_optimizer
from numpy.testing import assert_allclose
from sklearn.utils import check_random_state

from fastmlp import MLPClassifier, MLPRegressor

SOLVERS = {
    "sgd": dict(learning_rate_init=0.05, momentum=0.9, nesterovs_momentum=True),
    "adam": dict(learning_rate_init=0.02, beta_1=0.8, beta_2=0.99),
    "adagrad": dict(learning_rate_init=0.1),
    "rmsprop": dict(learning_rate_init=0.01, rho=0.8),
    "adadelta": dict(learning_rate_init=1.0, rho=0.9, epsilon=1e-6),
    "adamw": dict(learning_rate_init=0.02, weight_decay=0.1, beta_1=0.8, beta_2=0.99),
}
N_EPOCHS = 5
# Relative agreement of the final weights and of the loss curves.  Measured
# over every case below (float64, 5 epochs of 5 batches, or 3 partial_fit
# calls): at most 6e-16 for the weight vector (2.5e-12 for its smallest
# entries, hence the atol) and 4e-16 for the loss curves.  Each mistake
# listed in the module docstring moves them by 1e-2 or more.
WEIGHTS_RTOL = 1e-10
CURVE_RTOL = 1e-11
DEFAULTS = MLPRegressor().get_params()  # momentum, betas, rho, weight_decay, ...


def _common(solver, **extra):
    """Parameters of a run of N_EPOCHS full epochs (no early stop)."""
    params = dict(
        solver=solver,
        shuffle=True,
        max_iter=N_EPOCHS,
        tol=0.0,
        n_iter_no_change=10_000,
        random_state=3,
        **SOLVERS[solver],
    )
    params.update(extra)
    return params


def _reference_fit(est_params, units, make_net, X, Y, sw):
    """The reference network ``make_net(coefs, intercepts)`` trained from
    scikit-learn's initialisation of `units` (neither network here is all
    logistic: Glorot factor 6), with the random state that initialisation
    leaves, as fastmlp's fit must.  Returns (network, loss curve)."""
    coefs, intercepts, rs = sklearn_glorot_init(units, est_params["random_state"], "tanh")
    ref = make_net(coefs, intercepts)
    opt = make_reference_optimizer(
        est_params["solver"], ref.params, ref.is_coef, {**DEFAULTS, **est_params}
    )
    curve = train_minibatches(ref, opt, X, Y, sw, est_params["batch_size"], N_EPOCHS, rs)
    return ref, curve


def _assert_matches(est, ref, curve, n_samples):
    assert est.n_iter_ == N_EPOCHS
    assert est.t_ == N_EPOCHS * n_samples
    got, want = pack(est.coefs_, est.intercepts_), pack(ref.coefs, ref.intercepts)
    assert rel_err(got, want) < WEIGHTS_RTOL, rel_err(got, want)
    for g, w in zip(est.coefs_ + est.intercepts_, ref.coefs + ref.intercepts):
        assert_allclose(g, w, rtol=WEIGHTS_RTOL, atol=WEIGHTS_RTOL * np.abs(want).max())
    assert_allclose(est.loss_curve_, curve, rtol=CURVE_RTOL)


# ---------------------------------------------------------------------------
# Regression: huber loss with a non-default delta, two outputs, elastic net
# ---------------------------------------------------------------------------
HUBER_DELTA = 0.3


def _regression_problem():
    rng = np.random.RandomState(11)
    n = 37  # batches of 8: 8, 8, 8, 8, 5
    X = rng.normal(size=(n, 4))
    y = np.column_stack([np.sin(X[:, 0]) + 0.5 * X[:, 1], 0.8 * X[:, 2] * X[:, 3]])
    y += 0.2 * rng.normal(size=y.shape)
    sw = rng.uniform(0.3, 2.5, size=n)
    return X, y, sw


@pytest.mark.parametrize("solver", list(SOLVERS))
def test_regressor_minibatches_match_reference(solver):
    X, y, sw = _regression_problem()
    activation = ["tanh", "softplus"]
    params = _common(
        solver,
        hidden_layer_sizes=(6, 5),
        activation=activation,
        loss="huber",
        huber_delta=HUBER_DELTA,
        alpha=0.3,
        l1_ratio=0.4,
        batch_size=8,
    )
    est = MLPRegressor(**params).fit(X, y, sample_weight=sw)

    def make_net(coefs, intercepts):
        return NumpyMLP(
            coefs, intercepts, activation, "identity", "huber", 0.3, 0.4, HUBER_DELTA
        )

    ref, curve = _reference_fit(params, [4, 6, 5, 2], make_net, X, y, sw)
    _assert_matches(est, ref, curve, len(X))
    # The data visits both branches of the huber loss (|r| below and above
    # delta), so a delta other than 0.3 would change the trajectory.
    r = np.abs(ref.predict(X) - y)
    assert 0.1 < np.mean(r > HUBER_DELTA) < 0.9


# ---------------------------------------------------------------------------
# Dropout: masks drawn batch after batch, epoch after epoch
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_dropout_minibatches_match_reference(solver):
    # The reference draws its masks from fastmlp's documented stream
    # (stream_dropout_masks): each batch's masks follow the rows of the batches
    # before it, so masks that overlap from one batch to the next, or repeat
    # from epoch to epoch, change the trajectory.  The middle layer (rate 0)
    # draws nothing.
    X, y, sw = _regression_problem()
    rates = [0.3, 0.0, 0.5]
    params = _common(
        solver,
        hidden_layer_sizes=(6, 5, 4),
        activation="tanh",
        alpha=0.1,
        batch_size=8,
        dropout=rates,
    )
    est = MLPRegressor(**params).fit(X, y, sample_weight=sw)
    coefs, intercepts, rs = sklearn_glorot_init([4, 6, 5, 4, 2], 3, "tanh")
    ref = NumpyMLP(coefs, intercepts, ["tanh"] * 3, "identity", "squared_error", 0.1)
    opt = make_reference_optimizer(solver, ref.params, ref.is_coef, {**DEFAULTS, **params})
    curve = train_minibatches(ref, opt, X, y, sw, 8, N_EPOCHS, rs, dropout=rates)
    _assert_matches(est, ref, curve, len(X))


# ---------------------------------------------------------------------------
# Classification: softmax, class_weight='balanced' times sample weights
# ---------------------------------------------------------------------------
def _classification_problem():
    rng = np.random.RandomState(12)
    y = rng.permutation(np.array(["a"] * 20 + ["b"] * 12 + ["c"] * 7))
    n = len(y)  # batches of 9: 9, 9, 9, 9, 3
    centers = {"a": [1.0, 0.0, 0.0], "b": [0.0, 1.0, -1.0], "c": [-1.0, -1.0, 1.0]}
    X = np.array([centers[label] for label in y]) + 0.8 * rng.normal(size=(n, 3))
    sw = rng.uniform(0.3, 2.5, size=n)
    return X, y, sw


# sgd and adam also with l1_ratio = 0: that pure-L2 step is a separate code
# path from the elastic-net one.
CLF_CASES = [(solver, 0.6) for solver in SOLVERS] + [("sgd", 0.0), ("adam", 0.0)]


@pytest.mark.parametrize(
    "solver,l1_ratio", CLF_CASES, ids=[f"{s}-l1={r}" for s, r in CLF_CASES]
)
def test_classifier_minibatches_match_reference(solver, l1_ratio):
    X, y, sw = _classification_problem()
    params = _common(
        solver,
        hidden_layer_sizes=(7,),
        activation="tanh",
        alpha=0.2,
        l1_ratio=l1_ratio,
        batch_size=9,
        class_weight="balanced",
    )
    est = MLPClassifier(**params).fit(X, y, sample_weight=sw)
    Y, _ = encode_classes(y)
    # n / (n_classes * count): 39 / 60, 39 / 36, 39 / 21.
    weights = sw * balanced_class_weights(y)

    def make_net(coefs, intercepts):
        return NumpyMLP(coefs, intercepts, ["tanh"], "softmax", "log_loss", 0.2, l1_ratio)

    ref, curve = _reference_fit(params, [3, 7, 3], make_net, X, Y, weights)
    _assert_matches(est, ref, curve, len(X))


# ---------------------------------------------------------------------------
# partial_fit: optimizer state kept from call to call
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("solver", ["adagrad", "rmsprop", "adadelta", "adamw", "adam"])
def test_partial_fit_minibatches_keep_optimizer_state(solver):
    # Three partial_fit calls, each one epoch of 4 shuffled batches, on a
    # binary (logistic output) classifier.  Each call starts a fresh random
    # state from random_state, as scikit-learn's partial_fit does, so the
    # first call shuffles with the state its initialisation leaves and the
    # others with a new one; the optimizer's state (and Adam's step count)
    # carries over.
    X, y, sw = _classification_problem()
    y = (y == "a").astype(int)
    params = _common(
        solver,
        hidden_layer_sizes=(5, 4),
        activation="tanh",
        alpha=0.1,
        l1_ratio=0.3,
        batch_size=10,
    )
    est = MLPClassifier(**params)
    for _ in range(3):
        est.partial_fit(X, y, sample_weight=sw, classes=[0, 1])

    coefs, intercepts, rs = sklearn_glorot_init(
        [3, 5, 4, 1], params["random_state"], "tanh"
    )
    ref = NumpyMLP(coefs, intercepts, ["tanh", "tanh"], "logistic", "log_loss", 0.1, 0.3)
    opt = make_reference_optimizer(solver, ref.params, ref.is_coef, {**DEFAULTS, **params})
    curve = []
    for call in range(3):
        state = rs if call == 0 else check_random_state(params["random_state"])
        curve += train_minibatches(ref, opt, X, y, sw, 10, 1, state)
    got, want = pack(est.coefs_, est.intercepts_), pack(ref.coefs, ref.intercepts)
    assert rel_err(got, want) < WEIGHTS_RTOL, rel_err(got, want)
    assert_allclose(est.loss_curve_, curve, rtol=CURVE_RTOL)
