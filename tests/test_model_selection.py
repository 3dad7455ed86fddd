"""fastmlp.model_selection: the searches and cross-validation whose fits train
together give what scikit-learn's own give with the same fastmlp estimator.

Every comparison runs scikit-learn's GridSearchCV / RandomizedSearchCV /
cross_validate / cross_val_score on the same estimator and data and asks for
the same numbers bit for bit: every score column of ``cv_results_`` (split,
mean, std, rank, train scores), ``params`` and the ``param_*`` columns,
``best_index_``, ``best_params_``, ``best_score_`` and the refitted
``best_estimator_``'s parameters.  Timing columns are real times of each run:
only checked to be times.
"""

import os
import re
import signal
import threading
import time
import warnings
from collections import Counter

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_array_equal
from sklearn import model_selection as skms
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from threadpoolctl import threadpool_limits

from fastmlp import MLPClassifier, MLPRegressor
from fastmlp import model_selection as ms
from fastmlp.model_selection import _one_pass

TIMES = ("mean_fit_time", "std_fit_time", "mean_score_time", "std_score_time")


def _classification(n=240, dtype=np.float64):
    X, y = make_classification(n_samples=n, n_features=8, n_informative=5, n_classes=3,
                               random_state=0)  # fmt: skip
    return X.astype(dtype), y


def _regression(n=240):
    X, y = make_regression(n_samples=n, n_features=8, noise=5.0, random_state=0)
    return X, y / 50.0


def _clf(**params):
    return MLPClassifier(hidden_layer_sizes=(12,), max_iter=15, random_state=0, **params)


def _reg(**params):
    return MLPRegressor(hidden_layer_sizes=(12,), max_iter=15, random_state=0, **params)


def _same_column(ours, theirs, key):
    if isinstance(theirs, np.ma.MaskedArray):
        assert isinstance(ours, np.ma.MaskedArray), key
        assert_array_equal(np.ma.getmaskarray(ours), np.ma.getmaskarray(theirs), key)
        assert list(ours.data[~np.ma.getmaskarray(ours)]) == list(
            theirs.data[~np.ma.getmaskarray(theirs)]
        ), key
    elif key == "params":
        assert ours == theirs
    else:
        assert_array_equal(ours, theirs, err_msg=key, strict=True)


def _model(estimator):
    return estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator


def _same_search(ours, theirs):
    assert sorted(ours.cv_results_) == sorted(theirs.cv_results_)
    for key, value in theirs.cv_results_.items():
        if key in TIMES:
            times = np.asarray(ours.cv_results_[key])
            assert times.shape == np.shape(value) and np.all(np.isfinite(times)), key
            assert np.all(times >= 0), key
            continue
        _same_column(ours.cv_results_[key], value, key)
    for name in ("best_index_", "best_params_", "best_score_", "n_splits_", "multimetric_"):
        assert hasattr(ours, name) == hasattr(theirs, name), name
        if hasattr(theirs, name):
            assert getattr(ours, name) == getattr(theirs, name), name
    assert hasattr(ours, "best_estimator_") == hasattr(theirs, "best_estimator_")
    if hasattr(theirs, "best_estimator_"):
        a, b = _model(ours.best_estimator_), _model(theirs.best_estimator_)
        if hasattr(b, "coefs_"):
            for x, y in zip(
                a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True
            ):
                assert_array_equal(x, y, strict=True)
        else:
            assert_array_equal(a.coef_, b.coef_, strict=True)
        assert ours.refit_time_ >= 0


def _both(search_class, estimator, grid, X, y, **kwargs):
    fit_params = kwargs.pop("fit_params", {})
    ours = getattr(ms, search_class)(estimator, grid, **kwargs).fit(X, y, **fit_params)
    theirs = getattr(skms, search_class)(estimator, grid, **kwargs).fit(X, y, **fit_params)
    _same_search(ours, theirs)
    return ours, theirs


def _pipeline(model):
    return Pipeline([("scale", StandardScaler()), ("mlp", model)])


def test_grid_search_pipeline_classifier_same_as_scikit_learn():
    X, y = _classification()
    grid = {
        "scale__with_mean": [True, False],
        "mlp__alpha": [1e-4, 1e-1],
        "mlp__hidden_layer_sizes": [(12,), (8, 6)],
    }
    _both("GridSearchCV", _pipeline(_clf()), grid, X, y, cv=3, return_train_score=True)


def test_grid_search_regressor_multimetric_refit_by_name():
    X, y = _regression()
    grid = {"alpha": [1e-4, 1e-2], "learning_rate_init": [1e-3, 1e-2]}
    scoring = {"r2": "r2", "mae": "neg_mean_absolute_error"}
    _both("GridSearchCV", _reg(), grid, X, y, cv=4, scoring=scoring, refit="mae",
          return_train_score=True)  # fmt: skip


@pytest.mark.parametrize("refit", [False, "callable"])
def test_grid_search_refit_false_and_callable(refit):
    X, y = _classification()
    if refit == "callable":

        def refit(results):
            return int(np.argmin(results["mean_test_score"]))

    grid = {"alpha": [1e-4, 1e-1, 1.0]}
    _both("GridSearchCV", _clf(), grid, X, y, cv=3, refit=refit)


def test_grid_search_early_stopping_mixed_solvers_and_class_weight():
    X, y = _classification(300)
    grid = [
        {"solver": ["adam", "sgd"], "early_stopping": [True, False],
         "class_weight": [None, "balanced"]},
        {"solver": ["lbfgs"], "max_iter": [10]},
    ]  # fmt: skip
    _both("GridSearchCV", _clf(n_iter_no_change=3), grid, X, y, cv=3)


def test_grid_search_sample_weight_routed_as_in_scikit_learn():
    X, y = _classification()
    weights = np.random.RandomState(1).uniform(0.2, 2.0, len(y))
    grid = {"mlp__alpha": [1e-4, 1e-2]}
    _both("GridSearchCV", _pipeline(_clf()), grid, X, y, cv=3,
          fit_params={"mlp__sample_weight": weights})  # fmt: skip
    _both("GridSearchCV", _clf(), {"alpha": [1e-4, 1e-2]}, X, y, cv=3,
          fit_params={"sample_weight": weights})  # fmt: skip


def test_grid_search_sparse_float32_input():
    X, y = _classification(dtype=np.float32)
    X[np.abs(X) < 0.8] = 0
    grid = {"alpha": [1e-4, 1e-2], "batch_size": [16, 64]}
    _both("GridSearchCV", _clf(), grid, sp.csr_matrix(X), y, cv=3)


def test_randomized_search_and_group_splitter():
    X, y = _classification()
    groups = np.arange(len(y)) % 6
    dists = {"alpha": [1e-5, 1e-4, 1e-3, 1e-2], "learning_rate_init": [1e-3, 3e-3, 1e-2]}
    ours = ms.RandomizedSearchCV(_clf(), dists, n_iter=4, cv=GroupKFold(3), random_state=0)
    theirs = skms.RandomizedSearchCV(_clf(), dists, n_iter=4, cv=GroupKFold(3),
                                     random_state=0)  # fmt: skip
    _same_search(ours.fit(X, y, groups=groups), theirs.fit(X, y, groups=groups))


def test_diverging_candidate_gets_its_error_score():
    X, y = _regression()
    grid = {"learning_rate_init": [1e-3, 1e9], "solver": ["sgd"], "momentum": [0.0]}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours, theirs = _both("GridSearchCV", _reg(), grid, X, y, cv=3, error_score=-1.0)
    assert ours.cv_results_["mean_test_score"][1] == -1.0
    assert any(issubclass(w.category, FitFailedWarning) for w in caught)
    with pytest.raises(ValueError) as ours_error:
        ms.GridSearchCV(_reg(), grid, cv=3, error_score="raise").fit(X, y)
    with pytest.raises(ValueError) as theirs_error:
        skms.GridSearchCV(_reg(), grid, cv=3, error_score="raise").fit(X, y)
    assert str(ours_error.value) == str(theirs_error.value)


def test_cross_validate_and_cross_val_score_same_as_scikit_learn():
    X, y = _classification()
    kwargs = dict(cv=KFold(4, shuffle=True, random_state=0), return_train_score=True,
                  return_estimator=True, return_indices=True,
                  scoring=["accuracy", "neg_log_loss"])  # fmt: skip
    ours = ms.cross_validate(_pipeline(_clf()), X, y, **kwargs)
    theirs = skms.cross_validate(_pipeline(_clf()), X, y, **kwargs)
    assert sorted(ours) == sorted(theirs)
    for key in theirs:
        if key in ("fit_time", "score_time"):
            assert np.all(np.asarray(ours[key]) >= 0)
        elif key == "estimator":
            for a, b in zip(ours[key], theirs[key], strict=True):
                assert_array_equal(_model(a).coefs_[0], _model(b).coefs_[0], strict=True)
        elif key == "indices":
            for part in ("train", "test"):
                for a, b in zip(ours[key][part], theirs[key][part], strict=True):
                    assert_array_equal(a, b)
        else:
            assert_array_equal(ours[key], theirs[key], strict=True)
    assert_array_equal(
        ms.cross_val_score(_reg(), *_regression(), cv=5),
        skms.cross_val_score(_reg(), *_regression(), cv=5),
        strict=True,
    )


def test_waves_as_joblib_tasks_give_the_same_search():
    X, y = _classification()
    grid = {"alpha": [1e-4, 1e-2], "hidden_layer_sizes": [(6,), (12,)]}
    _both("GridSearchCV", _clf(), grid, X, y, cv=3, n_jobs=2)


def test_threads_or_one_thread_give_the_same_search():
    X, y = _classification()
    grid = {"alpha": [1e-4, 1e-2, 1e-1], "hidden_layer_sizes": [(6,), (12,)]}
    threaded = ms.GridSearchCV(_clf(), grid, cv=3).fit(X, y)
    with threadpool_limits(1):
        alone = ms.GridSearchCV(_clf(), grid, cv=3).fit(X, y)
    _same_search(threaded, alone)


def test_other_estimators_run_scikit_learns_search(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("trained by the one-pass path")

    monkeypatch.setattr(_one_pass, "run", refuse)
    X, y = _classification()
    grid = {"C": [0.1, 1.0]}
    ours = ms.GridSearchCV(LogisticRegression(max_iter=200), grid, cv=3).fit(X, y)
    theirs = skms.GridSearchCV(LogisticRegression(max_iter=200), grid, cv=3).fit(X, y)
    _same_search(ours, theirs)
    # A candidate replacing the model: that call runs scikit-learn's fits.
    pipe = _pipeline(_clf())
    grid = {"mlp": [_clf(), LogisticRegression(max_iter=200)]}
    _same_search(ms.GridSearchCV(pipe, grid, cv=3, refit=False).fit(X, y),
                 skms.GridSearchCV(pipe, grid, cv=3, refit=False).fit(X, y))  # fmt: skip
    assert _one_pass.unsupported(LogisticRegression()) is not None
    assert _one_pass.unsupported(_pipeline(_clf())) is None


def test_preprocessing_fitted_once_per_fold_and_parameters(monkeypatch):
    fits = []
    real = MinMaxScaler.fit

    def counted(self, X, y=None, **kw):
        fits.append((self.feature_range, len(X)))
        return real(self, X, y, **kw)

    monkeypatch.setattr(MinMaxScaler, "fit", counted)
    X, y = _classification()
    pipe = Pipeline([("scale", MinMaxScaler()), ("mlp", _clf())])
    grid = {"scale__feature_range": [(0, 1), (-1, 1)], "mlp__alpha": [1e-4, 1e-3, 1e-2]}
    ms.GridSearchCV(pipe, grid, cv=3, refit=False).fit(X, y)
    # 2 ranges x 3 folds, not 6 candidates x 3 folds
    assert sorted(Counter(r for r, _ in fits).values()) == [3, 3]
    assert len(fits) == 6


def test_verbose_lines_like_scikit_learn(capsys):
    X, y = _classification()
    grid = {"alpha": [1e-4, 1e-2]}

    def lines(module):
        getattr(module, "GridSearchCV")(_clf(), grid, cv=2, verbose=3).fit(X, y)
        out = capsys.readouterr().out
        # the times differ run to run
        return sorted(re.sub(r"total time=.*", "", line) for line in out.splitlines())

    assert lines(ms) == lines(skms)


def test_random_state_none_every_model_draws_its_own():
    X, y = _classification()
    split = (np.arange(0, 160), np.arange(160, 240))
    model = MLPClassifier(hidden_layer_sizes=(12,), max_iter=5)
    fitted = ms.cross_validate(model, X, y, cv=[split] * 3, return_estimator=True)
    coefs = [est.coefs_[0] for est in fitted["estimator"]]
    # the same rows three times: only the models' own draws tell them apart
    assert not np.array_equal(coefs[0], coefs[1])
    assert not np.array_equal(coefs[1], coefs[2])
    seeded = ms.cross_validate(model.set_params(random_state=0), X, y, cv=[split] * 3,
                               return_estimator=True)  # fmt: skip
    first = seeded["estimator"][0].coefs_[0]
    assert all(np.array_equal(est.coefs_[0], first) for est in seeded["estimator"])


@pytest.mark.skipif(os.name == "nt", reason="needs POSIX signals")
def test_ctrl_c_stops_the_search_and_claims_no_results():
    X, y = _classification(2000)
    grid = {"alpha": [1e-4, 1e-3, 1e-2, 1e-1]}
    model = MLPClassifier(hidden_layer_sizes=(64,), max_iter=10**5, tol=0,
                          n_iter_no_change=10**6, random_state=0)  # fmt: skip
    search = ms.GridSearchCV(model, grid, cv=3)
    before = threading.active_count()
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    start = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        search.fit(X, y)
    timer.join()
    # A hang guard, not a latency requirement: the search would run for hours.
    assert time.perf_counter() - start < 60
    assert not hasattr(search, "cv_results_")
    assert threading.active_count() == before
    # The engine runs again afterwards (no thread left cancelled).
    ms.GridSearchCV(_clf(), {"alpha": [1e-4]}, cv=2).fit(*_classification())


def test_scikit_learn_configuration_reaches_every_thread():
    from sklearn import config_context

    X, y = _classification()
    seen = []

    class Recording(StandardScaler):
        def fit(self, X, y=None, **kw):
            seen.append(type(X).__name__)
            return super().fit(X, y, **kw)

    pipe = Pipeline([("first", StandardScaler()), ("scale", Recording()),
                     ("mlp", _clf())])  # fmt: skip
    grid = {"mlp__alpha": [1e-4, 1e-2], "first__with_std": [True, False]}
    with config_context(transform_output="pandas"):
        ms.GridSearchCV(pipe, grid, cv=2, refit=False).fit(X, y)
    # the second scaler got the first one's output as a DataFrame in every thread
    assert len(seen) == 4 and set(seen) == {"DataFrame"}
