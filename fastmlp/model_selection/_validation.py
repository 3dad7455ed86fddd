"""cross_validate and cross_val_score whose fits train together (_one_pass)."""

import numpy as np
from sklearn import model_selection as _sk
from sklearn.base import is_classifier
from sklearn.metrics import check_scoring
from sklearn.model_selection._split import check_cv
from sklearn.model_selection._validation import (
    _aggregate_score_dicts,
    _insert_error_scores,
    _normalize_score_results,
    _warn_or_raise_about_fit_failures,
)
from sklearn.utils import indexable

from . import _one_pass


def cross_validate(
    estimator,
    X,
    y=None,
    *,
    groups=None,
    scoring=None,
    cv=None,
    n_jobs=None,
    verbose=0,
    params=None,
    pre_dispatch="2*n_jobs",
    return_train_score=False,
    return_estimator=False,
    return_indices=False,
    error_score=np.nan,
):
    """Evaluate metrics by cross-validation, the folds of a fastmlp model
    trained together.

    scikit-learn's :func:`sklearn.model_selection.cross_validate`: the same
    parameters and the same returned dict, bit for bit. When the estimator is
    a fastmlp MLPClassifier or MLPRegressor, or a Pipeline ending in one, the
    folds' models are trained whole on the process's threads at once (see
    :ref:`searching`); anything else runs scikit-learn's own function.

    See Also
    --------
    sklearn.model_selection.cross_validate : the parameters and what is returned.
    cross_val_score : one metric's test scores.
    """
    arguments = dict(
        groups=groups, scoring=scoring, cv=cv, n_jobs=n_jobs, verbose=verbose,
        params=params, pre_dispatch=pre_dispatch, return_train_score=return_train_score,
        return_estimator=return_estimator, return_indices=return_indices,
        error_score=error_score,
    )  # fmt: skip
    if _one_pass.unsupported(estimator) is not None:
        return _sk.cross_validate(estimator, X, y, **arguments)
    # The steps of scikit-learn's cross_validate (metadata routing disabled),
    # its fits run by _one_pass.
    X, y = indexable(X, y)
    params = {} if params is None else params
    cv = check_cv(cv, y, classifier=is_classifier(estimator))
    scorers = check_scoring(estimator, scoring=scoring, raise_exc=(error_score == "raise"))
    indices = list(cv.split(X, y, groups=groups))
    settings = _one_pass.Settings(
        scorer=scorers,
        fit_params=params,
        score_params={},
        return_train_score=return_train_score,
        return_times=True,
        return_estimator=return_estimator,
        error_score=error_score,
        verbose=verbose,
    )
    candidate = _one_pass.candidate_estimator(estimator, None)
    tasks = [
        (_one_pass.Task(i, candidate, None, None, None), i) for i in range(len(indices))
    ]
    results = _one_pass.run(tasks, X, y, dict(enumerate(indices)), settings, n_jobs,
                            pre_dispatch)  # fmt: skip
    _warn_or_raise_about_fit_failures(results, error_score)
    if callable(scoring):
        _insert_error_scores(results, error_score)
    results = _aggregate_score_dicts(results)
    ret = {"fit_time": results["fit_time"], "score_time": results["score_time"]}
    if return_estimator:
        ret["estimator"] = results["estimator"]
    if return_indices:
        ret["indices"] = {}
        ret["indices"]["train"], ret["indices"]["test"] = zip(*indices)
    test_scores_dict = _normalize_score_results(results["test_scores"])
    if return_train_score:
        train_scores_dict = _normalize_score_results(results["train_scores"])
    for name in test_scores_dict:
        ret[f"test_{name}"] = test_scores_dict[name]
        if return_train_score:
            ret[f"train_{name}"] = train_scores_dict[name]
    return ret


def cross_val_score(
    estimator,
    X,
    y=None,
    *,
    groups=None,
    scoring=None,
    cv=None,
    n_jobs=None,
    verbose=0,
    params=None,
    pre_dispatch="2*n_jobs",
    error_score=np.nan,
):
    """The test scores of cross-validation, the folds of a fastmlp model
    trained together.

    scikit-learn's :func:`sklearn.model_selection.cross_val_score`: the same
    parameters and scores, bit for bit; trained as :func:`cross_validate`
    trains them (see :ref:`searching`).

    See Also
    --------
    sklearn.model_selection.cross_val_score : the parameters and what is returned.
    cross_validate : several metrics, train scores, times and fitted estimators.
    """
    scorer = check_scoring(estimator, scoring=scoring)
    results = cross_validate(
        estimator=estimator, X=X, y=y, groups=groups, scoring={"score": scorer}, cv=cv,
        n_jobs=n_jobs, verbose=verbose, params=params, pre_dispatch=pre_dispatch,
        error_score=error_score,
    )  # fmt: skip
    return results["test_score"]
