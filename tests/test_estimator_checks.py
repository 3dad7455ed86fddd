"""scikit-learn's estimator API checks, run on fastmlp's estimators exactly
as scikit-learn runs them on its own MLPs (``max_iter=100``), with no
expected failures."""

from functools import partial

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from fastmlp import MLPClassifier, MLPRegressor


def _check_name(check):
    while isinstance(check, partial):
        check = check.func
    return check.__name__


def _run(check, monkeypatch):
    if _check_name(check) == "check_array_api_input":
        # scikit-learn skips this check unless SCIPY_ARRAY_API is set. For estimators
        # without array API support (as here) it runs on NumPy inputs only, with
        # array API dispatch enabled, where SciPy's own flag (read when SciPy is
        # imported) changes nothing; scikit-learn reads the variable when the check
        # runs, so setting it here makes the check run instead of skipping.
        monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check()


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks([MLPClassifier(max_iter=100), MLPRegressor(max_iter=100)])
def test_sklearn_compatible_estimator(estimator, check, monkeypatch):
    _run(partial(check, estimator), monkeypatch)


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
    _run(partial(check, estimator), monkeypatch)
