"""scikit-learn's estimator API checks, run on fastmlp's estimators exactly
as scikit-learn runs them on its own MLPs (``max_iter=100``), with no
expected failures; then on the other solvers, and on configurations using the
options only fastmlp has (losses, activations, solvers, dropout, weight_init,
l1_ratio), where the sample-weight equivalence checks are expected to fail
with dropout only, for the reason given in ``_expected_failed_checks``."""

from functools import partial

import numpy as np
import pytest
from _sklearn_checks import run_check
from sklearn.utils.estimator_checks import parametrize_with_checks

from fastmlp import MLPClassifier, MLPRegressor


@parametrize_with_checks([MLPClassifier(max_iter=100), MLPRegressor(max_iter=100)])
def test_sklearn_compatible_estimator(estimator, check, monkeypatch):
    run_check(partial(check, estimator), monkeypatch)


# The same checks for the other solvers (scikit-learn itself only runs the
# default 'adam').
@pytest.mark.slow
@parametrize_with_checks(
    [
        MLPClassifier(max_iter=100, solver="lbfgs", random_state=0),
        MLPClassifier(max_iter=100, solver="sgd", random_state=0),
        MLPRegressor(max_iter=100, solver="lbfgs", random_state=0),
        MLPRegressor(max_iter=100, solver="sgd", random_state=0),
    ]
)
def test_sklearn_compatible_estimator_other_solvers(estimator, check, monkeypatch):
    run_check(partial(check, estimator), monkeypatch)


# The same checks on configurations using options only fastmlp has.
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
def test_sklearn_compatible_estimator_fastmlp_options(estimator, check, monkeypatch):
    run_check(partial(check, estimator), monkeypatch)
