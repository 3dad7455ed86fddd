"""Dropout (``dropout``: one rate for every hidden layer, or one per layer;
inverted dropout, the kept units scaled by 1 / (1 - rate) during training):
reproducible for a given random_state and dependent on it, a mask per row and
unit (every row of an epoch its own, batch after batch), each layer with its
own rate, the masks applied in back-propagation as in the forward pass,
prediction without dropout, refused with lbfgs and for invalid rates, and a
zero rate trains exactly as scikit-learn.

Every expected number comes from a source independent of fastmlp: the NumPy
reference network's masked forward and backward pass
(``tests/_reference/network.py``) with the masks read out of fastmlp's own
steps, the masks of fastmlp's documented random stream written out there, the
closed-form expectation of the loss under inverted dropout, binomial bounds on
the fraction of units dropped, and scikit-learn's MLPClassifier.  Training over
several batches and epochs with dropout is compared with the reference in
``tests/test_reference_training.py``.
"""

import numpy as np
import pytest
from _cases import assert_same_model, binary_problem, differs
from _reference.network import (
    NumpyMLP,
    pack,
    rel_err,
    sklearn_glorot_init,
    stream_dropout_masks,
)
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.metrics import accuracy_score
from sklearn.neural_network import MLPClassifier as SkMLPClassifier

from fastmlp import MLPClassifier, MLPRegressor


def _dropout_fit(dropout, random_state=0, coef_init=None, intercept_init=None, **kw):
    X, y = binary_problem()
    params = dict(
        hidden_layer_sizes=(6, 5),
        activation="relu",
        solver="adam",
        max_iter=8,
        random_state=random_state,
        dropout=dropout,
    )
    params.update(kw)
    return MLPClassifier(**params).fit(
        X, y, coef_init=coef_init, intercept_init=intercept_init
    )


@pytest.mark.parametrize("dropout", [0.3, [0.5, 0.2], (0.0, 0.4)], ids=str)
def test_dropout_reproducible_and_random_state_dependent(dropout):
    assert_same_model(_dropout_fit(dropout, 0), _dropout_fit(dropout, 0))
    # Same initial weights, different random_state: only the masks (and the
    # shuffling) differ, and the models must differ.
    init = _dropout_fit(0.0, 0, max_iter=1)
    c0 = [c.copy() for c in init.coefs_]
    b0 = [b.copy() for b in init.intercepts_]
    a = _dropout_fit(dropout, 1, c0, b0, shuffle=False)
    b = _dropout_fit(dropout, 2, c0, b0, shuffle=False)
    assert differs(a, b), "dropout masks must depend on random_state"
    no_drop = _dropout_fit(0.0, 1, c0, b0, shuffle=False)
    assert differs(a, no_drop), "dropout must change training"


def test_dropout_partial_fit_reproducible():
    X, y = binary_problem()
    models = []
    for _ in range(2):
        est = MLPClassifier((6, 5), dropout=0.3, random_state=3)
        for _ in range(3):
            est.partial_fit(X, y, classes=[0, 1])
        models.append(est)
    assert_same_model(*models)


def test_dropout_prediction_deterministic_and_without_dropout():
    X, y = binary_problem()
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
    est.fit(X, p0, coef_init=[W0, W1], intercept_init=[b0, b1])
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
    # forward and backward pass (tests/_reference/network.py) must give
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
        coefs, intercepts = (
            [c.copy() for c in est.coefs_],
            [b.copy() for b in est.intercepts_],
        )
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


LR = 0.1


def _diagonal_epoch(n, width, rate, seed, **params):
    """One epoch of plain sgd (alpha 0) from random weights on n rows whose
    inputs have disjoint supports (X diagonal), one tanh layer of `width`
    units with dropout `rate`: row r of W0 only gets sample r's gradient,
    x_r * delta_r, whose zeros are the units dropped for sample r.  Returns
    (estimator, X, y, initial coefs, initial intercepts, kept), kept the
    (sample, unit) mask read out of W0."""
    rng = np.random.RandomState(seed)
    X = np.diag(rng.uniform(0.5, 1.5, size=n) * rng.choice([-1.0, 1.0], size=n))
    y = rng.normal(size=n)
    coefs = [rng.normal(scale=0.5, size=(n, width)), rng.normal(scale=0.5, size=(width, 1))]
    intercepts = [rng.normal(scale=0.5, size=width), rng.normal(scale=0.5, size=1)]
    est = MLPRegressor(
        hidden_layer_sizes=(width,),
        activation="tanh",
        solver="sgd",
        momentum=0.0,
        learning_rate_init=LR,
        alpha=0.0,
        max_iter=1,
        dropout=rate,
        random_state=0,
        **params,
    )
    est.fit(X, y, coef_init=coefs, intercept_init=intercepts)
    return est, X, y, coefs, intercepts, est.coefs_[0] != coefs[0]


def test_dropout_masks_per_row_of_a_batch():
    # One batch of 12 rows: masks differ from row to row, drop the given
    # fraction, and with them the reference's masked pass gives the whole step
    # (the output weights sum over all rows and masks).
    n, rate = 12, 0.4
    est, X, y, coefs, intercepts, kept = _diagonal_epoch(n, 30, rate, 3, batch_size=n)
    assert abs(np.mean(~kept) - rate) < _binomial_bound(rate, kept.size)
    assert len({row.tobytes() for row in kept}) > n // 2, "one mask shared by the batch"
    ref = NumpyMLP(coefs, intercepts, ["tanh"], "identity", "squared_error")
    value, _, cg, ig = ref.loss_grad(X, y, masks=[kept / (1 - rate)])
    step = pack(est.coefs_, est.intercepts_) - pack(coefs, intercepts)
    # Measured: 3e-15 relative.  A backward pass leaving the masks out would
    # move every entry of W0 and fail the drop fraction above.
    assert rel_err(step, -LR * pack(cg, ig)) < 1e-12
    assert est.loss_curve_[0] == pytest.approx(value, rel=1e-12)


def test_dropout_masks_differ_from_batch_to_batch():
    # An epoch of 8 batches of 8 rows, in order: row r of W0 moves only in the
    # step of sample r's batch.  Every row of the epoch gets its own mask (a
    # stream that started each batch a row after the previous one instead of
    # a batch after it would repeat them: 15 distinct masks), the given
    # fraction is dropped, and the masks are those of fastmlp's documented
    # stream (stream_dropout_masks), drawn from the seed that follows
    # scikit-learn's initialisation.
    n, width, rate, batch = 64, 30, 0.4, 8
    kept = _diagonal_epoch(n, width, rate, 4, batch_size=batch, shuffle=False)[-1]
    assert len({row.tobytes() for row in kept}) == n, "rows of the epoch share masks"
    assert abs(np.mean(~kept) - rate) < _binomial_bound(rate, kept.size)
    seed = sklearn_glorot_init([n, width, 1], 0, "tanh")[2].randint(
        0, 2**62, dtype=np.int64
    )
    stream = np.vstack(
        [
            stream_dropout_masks(seed, start, batch, [width], [rate])[0]
            for start in range(0, n, batch)
        ]
    )
    assert_array_equal(kept, stream != 0)


def test_dropout_with_lbfgs_raises():
    X, y = binary_problem()
    for dropout in (0.2, [0.0, 0.1]):
        with pytest.raises(ValueError):
            MLPClassifier((6, 5), solver="lbfgs", dropout=dropout).fit(X, y)
    MLPClassifier((6, 5), solver="lbfgs", dropout=0.0, max_iter=5).fit(X, y)
    MLPClassifier((6, 5), solver="lbfgs", dropout=[0.0, 0.0], max_iter=5).fit(X, y)


@pytest.mark.parametrize(
    "dropout", [[0.1], [0.1, 0.1, 0.1], 1.0, -0.1, [0.2, 1.0]], ids=str
)
def test_dropout_invalid(dropout):
    X, y = binary_problem()
    with pytest.raises(ValueError):
        MLPClassifier((6, 5), dropout=dropout, max_iter=2).fit(X, y)


@pytest.mark.parametrize("dropout", ["default", 0.0, [0.0, 0.0]], ids=str)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_dropout_zero_trains_as_sklearn(solver, dropout):
    # No dropout (the default, a zero rate, or a list of zero rates) is
    # scikit-learn's training: same weights and loss curve (measured: 2e-15
    # relative).
    X, y = binary_problem()
    params = dict(
        hidden_layer_sizes=(6, 5),
        solver=solver,
        max_iter=6,
        random_state=0,
        learning_rate_init=0.01,
        batch_size=16,
    )
    extra = {} if dropout == "default" else dict(dropout=dropout)
    ours = MLPClassifier(**params, **extra).fit(X, y)
    sk = SkMLPClassifier(**params).fit(X, y)
    for u, v in zip(ours.coefs_ + ours.intercepts_, sk.coefs_ + sk.intercepts_):
        assert_allclose(u, v, rtol=1e-9, atol=1e-12)
    assert_allclose(ours.loss_curve_, sk.loss_curve_, rtol=1e-10)
