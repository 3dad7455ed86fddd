"""GridSearchCV and RandomizedSearchCV whose fits train together (_one_pass)."""

import time
from collections import defaultdict
from inspect import signature
from itertools import product

from sklearn import model_selection as _sk
from sklearn.base import clone, is_classifier
from sklearn.metrics._scorer import _MultimetricScorer
from sklearn.model_selection._split import check_cv
from sklearn.model_selection._validation import (
    _fit_and_score,
    _insert_error_scores,
    _warn_or_raise_about_fit_failures,
)
from sklearn.utils import indexable
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import _check_method_params

from . import _one_pass


class _OnePassSearch:
    """fit of a scikit-learn search, its fits trained by _one_pass."""

    def _one_pass_unsupported(self):
        if getattr(self, "_skl_callbacks", None):
            return "callbacks are set on the search"
        return _one_pass.unsupported(self.estimator)

    def fit(self, X, y=None, **params):
        if self._one_pass_unsupported() is not None:
            return super().fit(X, y, **params)
        self._validate_params()
        return self._fit_one_pass(X, y, params)

    def _fit_one_pass(self, X, y, params):
        # The steps of scikit-learn's BaseSearchCV.fit, its fits run by _one_pass.
        scorers, refit_metric = self._get_scorers()
        X, y = indexable(X, y)
        params = _check_method_params(X, params=params)
        routed_params = self._get_routed_params_for_fit(params)
        self._checked_cv_orig = check_cv(
            self.cv, y, classifier=is_classifier(self.estimator)
        )
        if hasattr(self, "_check_input_parameters"):
            self._check_input_parameters(
                X=X, y=y, split_params=routed_params.splitter.split
            )
        self.n_splits_ = self._checked_cv_orig.get_n_splits(
            X, y, **routed_params.splitter.split
        )
        base_estimator = clone(self.estimator)
        settings = _one_pass.Settings(
            scorer=scorers,
            fit_params=routed_params.estimator.fit,
            score_params=routed_params.scorer.score,
            return_train_score=self.return_train_score,
            return_n_test_samples=True,
            return_times=True,
            return_parameters=False,
            error_score=self.error_score,
            verbose=self.verbose,
        )
        all_candidate_params = []
        all_out = []
        all_more_results = defaultdict(list)
        results = {}

        def evaluate_candidates(candidate_params, cv=None, more_results=None, **_):
            nonlocal results
            cv = cv or self._checked_cv_orig
            candidate_params = list(candidate_params)
            n_candidates = len(candidate_params)
            n_splits = self.n_splits_
            cv_splits = list(cv.split(X, y, **routed_params.splitter.split))
            if len(cv_splits) != n_splits:
                raise ValueError(
                    "cv.split and cv.get_n_splits return inconsistent results. "
                    f"Expected {n_splits} splits, got {len(cv_splits)}"
                )
            if self.verbose > 0:
                print(
                    f"Fitting {n_splits} folds for each of {n_candidates} candidates,"
                    f" totalling {n_candidates * n_splits} fits"
                )
            pairs = list(product(enumerate(candidate_params), enumerate(cv_splits)))
            if all(_keeps_model(base_estimator, p) for p in candidate_params):
                estimators = [
                    _one_pass.candidate_estimator(base_estimator, parameters)
                    for parameters in candidate_params
                ]
                tasks = [
                    (_one_pass.Task(i, estimators[cand_idx], parameters,
                                    (split_idx, n_splits), (cand_idx, n_candidates)),
                     split_idx)
                    for i, ((cand_idx, parameters), (split_idx, _)) in enumerate(pairs)
                ]  # fmt: skip
                folds = dict(enumerate(cv_splits))
                out = _one_pass.run(tasks, X, y, folds, settings, self.n_jobs,
                                    self.pre_dispatch)  # fmt: skip
            else:  # a candidate replaces the model: scikit-learn's own fits
                out = Parallel(n_jobs=self.n_jobs, pre_dispatch=self.pre_dispatch)(
                    delayed(_fit_and_score)(
                        clone(base_estimator), X, y, train=train, test=test,
                        parameters=parameters, split_progress=(split_idx, n_splits),
                        candidate_progress=(cand_idx, n_candidates),
                        **settings.fit_and_score_kwargs(),
                    )
                    for (cand_idx, parameters), (split_idx, (train, test)) in pairs
                )  # fmt: skip
            if len(out) < 1:
                raise ValueError(
                    "No fits were performed. "
                    "Was the CV iterator empty? "
                    "Were there no candidates?"
                )
            _warn_or_raise_about_fit_failures(out, self.error_score)
            if callable(self.scoring):
                _insert_error_scores(out, self.error_score)
            all_candidate_params.extend(candidate_params)
            all_out.extend(out)
            if more_results is not None:
                for key, value in more_results.items():
                    all_more_results[key].extend(value)
            results = self._format_results(
                all_candidate_params, n_splits, all_out, all_more_results
            )
            return results

        if "callback_ctx" in signature(self._run_search).parameters:
            # scikit-learn >= 1.9: the search's callback context (no callbacks
            # are set on this path: _one_pass_unsupported)
            root = self._init_callback_context(max_subtasks=1 + (self.refit is not False))
            root = root.call_on_fit_task_begin(estimator=self, X=X, y=y, metadata=None)
            self._run_search(evaluate_candidates, callback_ctx=root)
        else:
            root = None
            self._run_search(evaluate_candidates)

        first_test_score = all_out[0]["test_scores"]
        self.multimetric_ = isinstance(first_test_score, dict)
        if callable(self.scoring) and self.multimetric_:
            self._check_refit_for_multimetric(first_test_score)
            refit_metric = self.refit

        if self.refit or not self.multimetric_:
            self.best_index_ = self._select_best_index(self.refit, refit_metric, results)
            if not callable(self.refit):
                self.best_score_ = results[f"mean_test_{refit_metric}"][self.best_index_]
            self.best_params_ = results["params"][self.best_index_]

        if self.refit:
            self.best_estimator_ = clone(base_estimator).set_params(
                **clone(self.best_params_, safe=False)
            )
            start = time.time()
            if y is not None:
                self.best_estimator_.fit(X, y, **routed_params.estimator.fit)
            else:
                self.best_estimator_.fit(X, **routed_params.estimator.fit)
            self.refit_time_ = time.time() - start
            if hasattr(self.best_estimator_, "feature_names_in_"):
                self.feature_names_in_ = self.best_estimator_.feature_names_in_

        self.scorer_ = (
            scorers._scorers if isinstance(scorers, _MultimetricScorer) else scorers
        )
        self.cv_results_ = results
        if root is not None:
            root.call_on_fit_task_end(estimator=self, X=X, y=y, metadata=None)
        return self


def _keeps_model(estimator, parameters):
    """Whether `parameters` leave `estimator`'s fastmlp model in place (do not
    replace the model or a Pipeline's steps)."""
    if _one_pass.final_model(estimator) is estimator:
        return True
    last = estimator.steps[-1][0]
    return not any(name in ("steps", last) for name in parameters)


class GridSearchCV(_OnePassSearch, _sk.GridSearchCV):
    """Exhaustive search over a grid of parameters, the fits of a fastmlp
    model trained together.

    scikit-learn's :class:`sklearn.model_selection.GridSearchCV`: the same
    parameters, attributes, methods and results, bit for bit. When the
    estimator is a fastmlp MLPClassifier or MLPRegressor, or a Pipeline
    ending in one, each fold's data are split once, the Pipeline's preceding
    steps fitted once per fold and distinct preprocessing parameters, and the
    models trained whole on the process's threads at once; anything else runs
    scikit-learn's own search. Read more in :ref:`searching`.

    See Also
    --------
    sklearn.model_selection.GridSearchCV : the parameters and attributes.
    RandomizedSearchCV : candidates sampled from distributions.
    """


class RandomizedSearchCV(_OnePassSearch, _sk.RandomizedSearchCV):
    """Randomized search over parameters, the fits of a fastmlp model trained
    together.

    scikit-learn's :class:`sklearn.model_selection.RandomizedSearchCV`: the
    same parameters, attributes, methods and results, bit for bit (the same
    candidates for the same ``random_state``). The fits are trained as
    :class:`GridSearchCV` trains them. Read more in :ref:`searching`.

    See Also
    --------
    sklearn.model_selection.RandomizedSearchCV : the parameters and attributes.
    GridSearchCV : every candidate of a grid.
    """
