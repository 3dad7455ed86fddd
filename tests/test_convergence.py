"""ConvergenceWarning: issued exactly when scikit-learn issues it.

Each case fits fastmlp's estimator and scikit-learn's own with the same
parameters on the same data and records the ConvergenceWarnings: the same
warnings (category and text), stopping after the same number of iterations,
and -- so that a case cannot pass by both libraries changing together -- the
outcome the case is built for.  A stochastic fit warns when it runs its
max_iter epochs without stopping on tol (the no-improvement rule, with or
without early stopping, or the adaptive learning rate getting too small),
including when that rule fires at exactly epoch max_iter (then it stopped on
tol: no warning); partial_fit never warns.  L-BFGS warns when it stops on
max_iter or max_fun, not when it converges.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SkClassifier
from sklearn.neural_network import MLPRegressor as SkRegressor

from fastmlp import MLPClassifier, MLPRegressor

_rng = np.random.RandomState(0)
X = _rng.randn(120, 5)
Y_CLF = (X[:, 0] - X[:, 1] > 0).astype(int) + (X[:, 2] > 0.8)
Y_REG = X[:, 0] - 2 * X[:, 1] + 0.1 * _rng.randn(120)

PAIRS = {
    "clf": (MLPClassifier, SkClassifier, Y_CLF),
    "reg": (MLPRegressor, SkRegressor, Y_REG),
}


def _convergence_warnings(fit):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = fit()
    return est, [
        (w.category, str(w.message))
        for w in caught
        if issubclass(w.category, ConvergenceWarning)
    ]


def _both(kind, run, **params):
    """(fastmlp's estimator, its warnings), (scikit-learn's, its warnings)."""
    ours, theirs, y = PAIRS[kind]
    params = {"hidden_layer_sizes": (6,), "random_state": 0, **params}
    return (
        _convergence_warnings(lambda: run(ours(**params), y)),
        _convergence_warnings(lambda: run(theirs(**params), y)),
    )


def _fit_on_X(est, y):
    return est.fit(X, y)


MAX_ITER_MESSAGE = (
    "Stochastic Optimizer: Maximum iterations ({}) reached and the "
    "optimization hasn't converged yet."
)

# name: (parameters, epochs run, warns)
STOCHASTIC = {
    "sgd-max-iter": (dict(solver="sgd", max_iter=3, tol=0.0), 3, True),
    "adam-max-iter": (dict(solver="adam", max_iter=5), 5, True),
    # with tol huge every epoch after the first fails to improve; the third of
    # them (epoch 4) exceeds n_iter_no_change=2 and stops the fit
    "tol-stops-before-max-iter": (
        dict(solver="adam", max_iter=10, tol=1e6, n_iter_no_change=2),
        4,
        False,
    ),
    "tol-stops-at-max-iter": (
        dict(solver="adam", max_iter=4, tol=1e6, n_iter_no_change=2),
        4,
        False,
    ),
    "max-iter-one-epoch-before-tol": (
        dict(solver="adam", max_iter=3, tol=1e6, n_iter_no_change=2),
        3,
        True,
    ),
    "early-stopping-stops": (
        dict(solver="adam", max_iter=30, tol=1e6, n_iter_no_change=2, early_stopping=True),
        4,
        False,
    ),
    "early-stopping-max-iter": (
        dict(solver="sgd", max_iter=6, n_iter_no_change=100, early_stopping=True),
        6,
        True,
    ),
    # the learning rate divided by 5 on every plateau (2 epochs) until <= 1e-6
    "adaptive-lr-too-small": (
        dict(
            solver="sgd",
            learning_rate="adaptive",
            max_iter=100,
            tol=1e6,
            n_iter_no_change=1,
        ),
        13,
        False,
    ),
    "adaptive-max-iter": (
        dict(
            solver="sgd", learning_rate="adaptive", max_iter=5, tol=1e6, n_iter_no_change=1
        ),
        5,
        True,
    ),
}


@pytest.mark.parametrize("kind", ["clf", "reg"])
@pytest.mark.parametrize("case", list(STOCHASTIC))
def test_stochastic_warning_as_sklearn(case, kind):
    params, epochs, warns = STOCHASTIC[case]
    (ours, ours_w), (theirs, theirs_w) = _both(kind, _fit_on_X, **params)
    assert ours.n_iter_ == theirs.n_iter_ == epochs
    assert ours_w == theirs_w
    expected = [(ConvergenceWarning, MAX_ITER_MESSAGE.format(params["max_iter"]))]
    assert ours_w == (expected if warns else [])


@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_warm_start_fit_warns_again(kind):
    """Each fit of a warm-started model counts its own epochs against max_iter."""
    params = dict(solver="sgd", max_iter=3, tol=0.0, warm_start=True)
    (ours, ours_w), (theirs, theirs_w) = _both(kind, _fit_on_X, **params)
    assert ours_w == theirs_w == [(ConvergenceWarning, MAX_ITER_MESSAGE.format(3))]
    y = PAIRS[kind][2]
    for est in (ours, theirs):
        est.set_params(max_iter=4)
    ours, ours_w = _convergence_warnings(lambda: ours.fit(X, y))
    theirs, theirs_w = _convergence_warnings(lambda: theirs.fit(X, y))
    assert ours.n_iter_ == theirs.n_iter_ == 4
    assert ours_w == theirs_w == [(ConvergenceWarning, MAX_ITER_MESSAGE.format(4))]


@pytest.mark.parametrize("max_iter", [1, 2, 200])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("kind", ["clf", "reg"])
def test_partial_fit_never_warns(kind, solver, max_iter):
    """partial_fit runs one epoch whatever max_iter is, and does not warn (not
    even with max_iter=1, where a fit of one epoch would)."""

    def run(est, y):
        for start in (0, 40, 80):
            kw = {"classes": np.unique(y)} if kind == "clf" else {}
            est.partial_fit(X[start : start + 40], y[start : start + 40], **kw)
        return est

    (ours, ours_w), (theirs, theirs_w) = _both(
        kind, run, solver=solver, max_iter=max_iter, tol=0.0
    )
    assert ours.n_iter_ == theirs.n_iter_ == 1
    assert ours_w == theirs_w == []


def _lbfgs_summary(messages):
    """(category, first lines) of L-BFGS warnings: the iterations, scipy's status and
    message, and whether max_iter is named (scikit-learn adds a line about scaling
    the data after these)."""
    out = []
    for category, text in messages:
        lines = text.split("\n")
        out.append(
            (category, lines[0], lines[1], "Increase the number of iterations" in text)
        )
    return out


# name: (parameters, scipy's reason for stopping or None, the warning names max_iter)
LBFGS = {
    "max-iter": (dict(max_iter=5), "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT", True),
    "max-fun": (
        dict(max_iter=200, max_fun=8),
        "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT",
        False,
    ),
    "converged": (dict(max_iter=200, tol=1e-2), None, False),
}


@pytest.mark.parametrize("kind", ["clf", "reg"])
@pytest.mark.parametrize("case", list(LBFGS))
def test_lbfgs_warning_as_sklearn(case, kind):
    params, reason, names_max_iter = LBFGS[case]
    (ours, ours_w), (theirs, theirs_w) = _both(kind, _fit_on_X, solver="lbfgs", **params)
    assert ours.n_iter_ == theirs.n_iter_
    assert _lbfgs_summary(ours_w) == _lbfgs_summary(theirs_w)
    if reason is None:
        assert ours_w == []
        assert ours.n_iter_ < params["max_iter"]
    else:
        first = f"lbfgs failed to converge after {ours.n_iter_} iteration(s) (status=1):"
        assert _lbfgs_summary(ours_w) == [
            (ConvergenceWarning, first, reason, names_max_iter)
        ]
        assert (ours.n_iter_ == params["max_iter"]) == names_max_iter
