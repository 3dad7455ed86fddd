"""The fits of a search or a cross-validation, trained together.

scikit-learn's searches and cross_validate hand every (candidate, fold) pair
to `_fit_and_score`, one call after the other (or one per joblib worker), each
with its own split of the data, its own pipeline preprocessing and a thread
team splitting every mini-batch of its one model.  Here the same pairs are
*tasks* of one run:

  - the data of a fold are split once and shared by every task of the fold,
    and the steps before the model in a Pipeline are fitted once per fold and
    distinct preprocessing parameters;
  - the models are trained whole, each on one thread, as many at a time as
    the process may use threads (BLAS's limit, the CPUs): no thread waits for
    another model at a barrier;
  - each task's result is the dict `_fit_and_score` returns, computed the same
    way (the same fitted model, the same scorer calls), so the search's
    `cv_results_` are scikit-learn's.

The tasks of one fold form a *wave*.  With one joblib job (n_jobs=None or 1,
the default backend) the waves run in this process on its threads; with more
jobs, or under another joblib backend (Dask), each wave is one joblib task.
"""

import copy
import numbers
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from traceback import format_exc

import numpy as np
from joblib import effective_n_jobs, logger
from sklearn import config_context, get_config
from sklearn.base import clone
from sklearn.metrics._scorer import _MultimetricScorer
from sklearn.model_selection._validation import _score
from sklearn.pipeline import Pipeline
from sklearn.utils.metaestimators import _safe_split
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import _check_method_params, _num_samples

from .. import _threads
from .._kernels import _engine
from .._multilayer_perceptron import BaseMultilayerPerceptron

# Parameter values simple enough to compare: preprocessing fitted once for all
# candidates whose values of its parameters are equal.
_PLAIN = (numbers.Number, str, bytes, bool, type(None))


def _is_model(estimator):
    return isinstance(estimator, BaseMultilayerPerceptron)


def final_model(estimator):
    """The fastmlp model `estimator` trains (itself, or the last step of a
    Pipeline), or None."""
    if _is_model(estimator):
        return estimator
    if isinstance(estimator, Pipeline) and estimator.steps:
        last = estimator.steps[-1][1]
        return last if _is_model(last) else None
    return None


def _has_callbacks(estimator):
    if getattr(estimator, "_skl_callbacks", None):
        return True
    if isinstance(estimator, Pipeline):
        return any(
            _has_callbacks(step)
            for _, step in estimator.steps
            if step is not None and not isinstance(step, str)
        )
    return False


def unsupported(estimator):
    """Why `estimator` is not trained by this path (scikit-learn's own then
    runs), or None when it is."""
    if final_model(estimator) is None:
        return "not a fastmlp model or a Pipeline ending in one"
    if get_config().get("enable_metadata_routing", False):
        return "metadata routing is enabled"
    if _has_callbacks(estimator):
        return "callbacks are set"
    if isinstance(estimator, Pipeline) and (
        estimator.memory is not None
        or estimator.verbose
        or getattr(estimator, "transform_input", None) is not None
    ):
        return "the Pipeline has memory, verbose or transform_input set"
    return None


class Task:
    """One (candidate, fold) pair: what `_fit_and_score` is given.  The
    candidate's estimator (a clone of the search's, its parameters set) is made
    once and shared by the tasks of its folds; each task fits a copy of it."""

    __slots__ = ("index", "candidate_estimator", "estimator", "parameters", "split",
                 "candidate")  # fmt: skip

    def __init__(self, index, candidate_estimator, parameters, split, candidate):
        self.index = index  # position of its result
        self.candidate_estimator = candidate_estimator  # unfitted, parameters set
        self.estimator = None  # the copy fitted, from fit_and_score on
        self.parameters = parameters  # dict or None
        self.split = split  # (split_idx, n_splits)
        self.candidate = candidate  # (cand_idx, n_candidates) or None


def candidate_estimator(base_estimator, parameters):
    """What `_fit_and_score` fits: a clone of `base_estimator` with a clone of
    `parameters` set."""
    estimator = clone(base_estimator)
    if parameters is not None:
        estimator = estimator.set_params(**clone(parameters, safe=False))
    return estimator


class Settings:
    """What every task of a run shares (the keyword arguments of
    `_fit_and_score` besides the estimator, split and parameters)."""

    def __init__(self, scorer, fit_params, score_params, return_train_score=False,
                 return_parameters=False, return_n_test_samples=False,
                 return_times=False, return_estimator=False, error_score=np.nan,
                 verbose=0):  # fmt: skip
        if not isinstance(error_score, numbers.Number) and error_score != "raise":
            raise ValueError(
                "error_score must be the string 'raise' or a numeric value. "
                "(Hint: if using 'raise', please make sure that it has been "
                "spelled correctly.)"
            )
        self.scorer = scorer
        self.fit_params = fit_params if fit_params is not None else {}
        self.score_params = score_params if score_params is not None else {}
        self.return_train_score = return_train_score
        self.return_parameters = return_parameters
        self.return_n_test_samples = return_n_test_samples
        self.return_times = return_times
        self.return_estimator = return_estimator
        self.error_score = error_score
        self.verbose = verbose

    def fit_and_score_kwargs(self):
        """These settings as scikit-learn's _fit_and_score takes them."""
        return dict(
            scorer=self.scorer, fit_params=self.fit_params, score_params=self.score_params,
            return_train_score=self.return_train_score,
            return_parameters=self.return_parameters,
            return_n_test_samples=self.return_n_test_samples,
            return_times=self.return_times, return_estimator=self.return_estimator,
            error_score=self.error_score, verbose=self.verbose,
        )  # fmt: skip


class _Fold:
    """The data of one fold, split once for all its tasks, and the fitted
    preprocessing of its distinct preprocessing parameters."""

    def __init__(self, like, X, y, train, test, settings):
        self.X_train, self.y_train = _safe_split(like, X, y, train)
        self.X_test, self.y_test = _safe_split(like, X, y, test, train)
        self.fit_params = _check_method_params(X, params=settings.fit_params, indices=train)
        self.score_train = _check_method_params(
            X, params=settings.score_params, indices=train
        )
        self.score_test = _check_method_params(
            X, params=settings.score_params, indices=test
        )
        self.n_test = _num_samples(self.X_test)
        self._prefixes = {}
        self._lock = threading.Lock()

    def prefix(self, key, pipeline, params):
        """(fitted steps before the model, X_train through them, seconds it took)
        for preprocessing key `key`, fitted from `pipeline`'s steps on first use;
        raises what fitting them raised."""
        with self._lock:
            entry = self._prefixes.get(key)
            if entry is None:
                entry = self._prefixes[key] = [threading.Lock(), None]
        with entry[0]:
            if entry[1] is None:
                start = time.time()
                try:
                    steps = Pipeline(pipeline.steps[:-1])
                    Xt = steps.fit_transform(self.X_train, self.y_train, **params)
                    entry[1] = (False, (steps.steps, Xt, time.time() - start))
                except Exception as exc:  # each task reports it as its own failure
                    entry[1] = (True, exc)
            failed, value = entry[1]
        if failed:
            raise value
        return value


def _plain(value):
    """Whether `value` is a number, string, None or a tuple of such."""
    if isinstance(value, tuple):
        return all(_plain(v) for v in value)
    return isinstance(value, _PLAIN)


def _prefix_key(pipeline, parameters, fit_params):
    """What the steps before the model depend on, beyond the fold: the
    candidate's values of their parameters, or None when they are not plain
    values (then each task fits its own)."""
    names = {name for name, _ in pipeline.steps[:-1]}
    last = pipeline.steps[-1][0]
    if any("__" not in k for k in fit_params):
        return None  # Pipeline.fit's own error, raised by each task
    key = []
    for name, value in (parameters or {}).items():
        step = name.split("__", 1)[0]
        if step == last and "__" in name:
            continue
        if step not in names:
            return None  # a parameter of the Pipeline itself or its last step
        if not _plain(value):
            return None
        key.append((name, type(value).__name__, value))
    return tuple(sorted(key, key=lambda item: item[0]))


def _fit(task, fold):
    """Fit task.estimator on its fold (a Pipeline's preceding steps shared with
    the fold's other tasks of the same preprocessing parameters); the seconds
    of fitting, the shared steps' included."""
    estimator = task.estimator
    fit_params = fold.fit_params
    if isinstance(estimator, Pipeline):
        key = _prefix_key(estimator, task.parameters, fit_params)
        if key is not None:
            last = estimator.steps[-1][0]
            prefix_params = {k: v for k, v in fit_params.items()
                             if k.split("__", 1)[0] != last}  # fmt: skip
            model_params = {k.split("__", 1)[1]: v for k, v in fit_params.items()
                            if k.split("__", 1)[0] == last}  # fmt: skip
            steps, Xt, seconds = fold.prefix(key, estimator, prefix_params)
            start = time.time()
            model = estimator.steps[-1][1]
            # The fitted steps as Pipeline.fit leaves them (list, fitted prefix)
            estimator.steps = list(steps) + [(last, model)]
            model.fit(Xt, fold.y_train, **model_params)
            return seconds + time.time() - start
    start = time.time()
    if fold.y_train is None:
        estimator.fit(fold.X_train, **fit_params)
    else:
        estimator.fit(fold.X_train, fold.y_train, **fit_params)
    return time.time() - start


def _messages(task, settings):
    """(progress text, parameters text) of the verbose lines, as _fit_and_score."""
    verbose = settings.verbose
    progress = ""
    if verbose > 2:
        if task.split is not None:
            progress = f" {task.split[0] + 1}/{task.split[1]}"
        if task.candidate and verbose > 9:
            progress += f"; {task.candidate[0] + 1}/{task.candidate[1]}"
    params = ""
    if verbose > 1 and task.parameters is not None:
        params = ", ".join(f"{k}={task.parameters[k]}" for k in sorted(task.parameters))
    return progress, params


def fit_and_score(task, fold, settings):
    """The result dict of `_fit_and_score` for `task` on `fold`."""
    scorer, error_score, verbose = settings.scorer, settings.error_score, settings.verbose
    progress, params_msg = _messages(task, settings)
    if verbose > 9:
        start_msg = f"[CV{progress}] START {params_msg}"
        print(f"{start_msg}{(80 - len(start_msg)) * '.'}")
    # A copy of the unfitted candidate: the same parameters as a new clone
    estimator = task.estimator = copy.deepcopy(task.candidate_estimator)
    result = {}
    start = time.time()
    try:
        fit_time = _fit(task, fold)
    except Exception:
        fit_time = time.time() - start
        score_time = 0.0
        if error_score == "raise":
            raise
        if isinstance(scorer, _MultimetricScorer):
            test_scores = {name: error_score for name in scorer._scorers}
            if settings.return_train_score:
                train_scores = test_scores.copy()
        else:
            test_scores = error_score
            if settings.return_train_score:
                train_scores = error_score
        result["fit_error"] = format_exc()
    else:
        result["fit_error"] = None
        start = time.time()
        test_scores = _score(
            estimator, fold.X_test, fold.y_test, scorer, fold.score_test, error_score
        )
        score_time = time.time() - start
        if settings.return_train_score:
            train_scores = _score(
                estimator, fold.X_train, fold.y_train, scorer, fold.score_train,
                error_score,
            )  # fmt: skip
    if verbose > 1:
        total_time = score_time + fit_time
        end_msg = f"[CV{progress}] END "
        result_msg = params_msg + (";" if params_msg else "")
        if verbose > 2:
            if isinstance(test_scores, dict):
                for name in sorted(test_scores):
                    result_msg += f" {name}: ("
                    if settings.return_train_score:
                        result_msg += f"train={train_scores[name]:.3f}, "
                    result_msg += f"test={test_scores[name]:.3f})"
            else:
                result_msg += ", score="
                if settings.return_train_score:
                    result_msg += f"(train={train_scores:.3f}, test={test_scores:.3f})"
                else:
                    result_msg += f"{test_scores:.3f}"
        result_msg += f" total time={logger.short_format_time(total_time)}"
        end_msg += "." * (80 - len(end_msg) - len(result_msg))
        print(end_msg + result_msg)
    result["test_scores"] = test_scores
    if settings.return_train_score:
        result["train_scores"] = train_scores
    if settings.return_n_test_samples:
        result["n_test_samples"] = fold.n_test
    if settings.return_times:
        result["fit_time"] = fit_time
        result["score_time"] = score_time
    if settings.return_parameters:
        result["parameters"] = task.parameters
    if settings.return_estimator:
        result["estimator"] = estimator
    task.estimator = None  # a fitted model lives no longer than in _fit_and_score
    return result


def _cost(task):
    """A rough relative cost of a task's fit (hidden units x epochs), to start
    the longest first."""
    estimator = task.candidate_estimator
    prefix = estimator.steps[-1][0] + "__" if isinstance(estimator, Pipeline) else ""
    params = final_model(estimator).get_params()
    for name, value in (task.parameters or {}).items():
        if name.startswith(prefix):
            params[name[len(prefix) :]] = value
    try:
        hidden = params["hidden_layer_sizes"]
        hidden = [hidden] if isinstance(hidden, numbers.Integral) else list(hidden)
        return float(sum(hidden)) * float(params["max_iter"])
    except (KeyError, TypeError, ValueError):
        return 0.0


def _workers(n_tasks):
    """Threads for the models of this process: BLAS's limit, the CPUs."""
    return max(1, min(n_tasks, _threads.blas.allowed(), _threads._cpus()))


def run_wave(tasks, X, y, folds, settings):
    """Results of `tasks` ([(task, train, test)] grouped by fold, fold index
    in `folds` order) in this process: [(task.index, result)].  The models
    train on up to _workers threads at once; the data of a fold are split when
    its first task starts and dropped after its last."""
    n_workers = _workers(len(tasks))
    pending = Counter(f for _, f in tasks)
    made = {}

    def fold_of(f):
        if f not in made:
            train, test = folds[f]
            made[f] = _Fold(tasks_like, X, y, train, test, settings)
        return made[f]

    tasks_like = tasks[0][0].candidate_estimator
    if n_workers == 1:
        out = []
        for task, f in tasks:
            out.append((task.index, fit_and_score(task, fold_of(f), settings)))
            pending[f] -= 1
            if not pending[f]:
                del made[f]
        return out
    return _run_threads(tasks, fold_of, made, pending, settings, n_workers)


def _run_threads(tasks, fold_of, made, pending, settings, n_workers):
    """run_wave on `n_workers` threads, each training whole models: the
    longest of a fold first.  Ctrl-C or an error that is raised (error_score
    'raise') stops the models running (as Ctrl-C stops a fit) and is raised
    once every thread has returned."""
    by_fold = defaultdict(list)
    for task, f in tasks:
        by_fold[f].append(task)
    order = []
    for f, fold_tasks in by_fold.items():
        order += [(t, f) for t in sorted(fold_tasks, key=_cost, reverse=True)]
    queue = iter(order)
    lock = threading.Lock()
    idents = set()
    stop = threading.Event()
    out = []

    # scikit-learn's configuration is per thread: the caller's, in each worker
    config = get_config()

    def worker():
        with config_context(**config):
            work()

    def work():
        ident = threading.get_ident()
        with lock:
            idents.add(ident)
            _engine.cancel(ident, False)  # an ident of a thread that ended is reused
        try:
            while not stop.is_set():
                with lock:
                    item = next(queue, None)
                    if item is None:
                        return
                    task, f = item
                    fold = fold_of(f)
                result = fit_and_score(task, fold, settings)
                with lock:
                    out.append((task.index, result))
                    pending[f] -= 1
                    if not pending[f]:
                        del made[f]
        finally:
            with lock:
                idents.discard(ident)
                _engine.cancel(ident, False)

    def cancel():
        stop.set()
        with lock:
            for ident in idents:
                _engine.cancel(ident)

    # BLAS at one thread while the models train: each model is one thread.
    with _threads.blas.single(), ThreadPoolExecutor(n_workers) as pool:
        futures = [pool.submit(worker) for _ in range(n_workers)]
        try:
            remaining = set(futures)
            while remaining:
                done, remaining = wait(remaining, timeout=0.1, return_when=FIRST_COMPLETED)
                for future in done:
                    if future.exception() is not None:
                        cancel()
            errors = [f.exception() for f in futures if f.exception() is not None]
        except BaseException:  # Ctrl-C while waiting
            cancel()
            wait(futures)
            raise
    if errors:
        # The first error that is not the stop it caused in the other threads.
        real = [e for e in errors if not isinstance(e, KeyboardInterrupt)]
        raise (real or errors)[0]
    return out


def run(tasks, X, y, folds, settings, n_jobs, pre_dispatch):
    """The results of `tasks` ([(task, fold index)]) in task.index order: in
    this process when joblib would run one job, else one joblib task per fold
    (Dask under its backend)."""
    waves = defaultdict(list)
    for task, f in tasks:
        waves[f].append((task, f))
    if effective_n_jobs(n_jobs) == 1 or len(waves) == 1:
        done = run_wave(list(tasks), X, y, folds, settings)
    else:
        done = []
        for part in Parallel(n_jobs=n_jobs, pre_dispatch=pre_dispatch)(
            delayed(run_wave)(wave, X, y, {f: folds[f]}, settings)
            for f, wave in waves.items()
        ):
            done.extend(part)
    results = [None] * len(tasks)
    for index, result in done:
        results[index] = result
    return results
