"""scikit-learn's estimator API checks, run on fastmlp's estimators exactly
as scikit-learn runs them on its own MLPs (``max_iter=100``), with no
expected failures."""

from functools import partial

import pytest
from _sklearn_checks import run_check
from sklearn.utils.estimator_checks import parametrize_with_checks

from fastmlp import MLPClassifier, MLPRegressor


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks([MLPClassifier(max_iter=100), MLPRegressor(max_iter=100)])
def test_sklearn_compatible_estimator(estimator, check, monkeypatch):
    run_check(partial(check, estimator), monkeypatch)


# The same checks for the other solvers (scikit-learn itself only runs the
# default 'adam').
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
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
