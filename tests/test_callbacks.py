"""scikit-learn's callback API (sklearn.callback, >= 1.9) and L-BFGS verbose output."""

import os
import pickle
import re
import subprocess
import sys
import tempfile
import textwrap
import warnings
from unittest import mock

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fastmlp import MLPClassifier, MLPRegressor

callback = pytest.importorskip("sklearn.callback")
ProgressBar, ScoringMonitor = callback.ProgressBar, callback.ScoringMonitor

X, Y = make_classification(n_samples=120, n_features=6, random_state=0)
XR, YR = make_regression(n_samples=120, n_features=6, noise=1.0, random_state=0)
YR = YR / YR.std()


class Recorder:
    """An in-process callback recording (hook, estimator, task name, task id)."""

    def __init__(self, stop_after=None, propagate=False):
        self.calls = []
        self.stop_after = stop_after
        if propagate:
            self.max_propagation_depth = None  # an AutoPropagatedCallback

    def setup(self, estimator, context):
        self.calls.append(("setup", type(estimator).__name__, context.task_name, None))

    def teardown(self, estimator, context):
        self.calls.append(("teardown", type(estimator).__name__, context.task_name, None))

    def on_fit_task_begin(self, estimator, context):
        self.calls.append(
            ("begin", context.estimator_name, context.task_name, context.task_id)
        )

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.calls.append(
            ("end", context.estimator_name, context.task_name, context.task_id)
        )
        if context.task_name in ("epoch", "iteration") and self.stop_after is not None:
            return context.task_id + 1 >= self.stop_after
        return False

    def ends(self, task_name, estimator_name=None):
        return [c for c in self.calls if c[0] == "end" and c[2] == task_name
                and (estimator_name is None or c[1] == estimator_name)]  # fmt: skip


def _clf(solver="adam", **kw):
    kw = {"hidden_layer_sizes": (8,), "max_iter": 6, "random_state": 0, **kw}
    return MLPClassifier(solver=solver, **kw)


# --------------------------------------------------------------------------
# progress bar: one step per epoch / per L-BFGS iteration
# --------------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_progressbar_one_step_per_epoch(solver, capsys):
    pytest.importorskip("rich")
    from sklearn.callback._progressbar import RichProgressMonitor

    records = []
    original = RichProgressMonitor._on_task_end

    def recording(self, task_info):
        original(self, task_info)
        records.append(self.root_rich_task.progress)

    max_iter = 6
    with mock.patch.object(RichProgressMonitor, "_on_task_end", recording):
        est = _clf(solver, max_iter=max_iter).set_callbacks(ProgressBar()).fit(X, Y)
    assert est.n_iter_ == max_iter
    # progress after each epoch / iteration, then 100% at the end of fit
    assert_allclose(records, [i / max_iter for i in range(1, max_iter + 1)] + [1.0])
    out = capsys.readouterr().out
    assert "MLPClassifier - fit" in out and "100%" in out


def test_progressbar_lbfgs_converging_early(capsys):
    pytest.importorskip("rich")
    est = MLPRegressor(solver="lbfgs", hidden_layer_sizes=(), max_iter=200, random_state=0)
    est.set_callbacks(ProgressBar()).fit(XR, YR)
    assert est.n_iter_ < 200
    out = capsys.readouterr().out
    assert "MLPRegressor - fit" in out and "100%" in out


# --------------------------------------------------------------------------
# ScoringMonitor: per-epoch scores
# --------------------------------------------------------------------------


@pytest.mark.parametrize("solver, step", [("adam", "epoch"), ("lbfgs", "iteration")])
def test_scoring_monitor_per_epoch(solver, step):
    monitor = ScoringMonitor(scoring="accuracy")
    est = _clf(solver).set_callbacks(monitor).fit(X, Y)
    rows = monitor.get_logs().data
    steps = [r for r in rows if r["task_name"] == step]
    assert [r["task_id"] for r in steps] == list(range(est.n_iter_))
    # the model after the last step is the fitted model; the root task scores it too
    assert steps[-1]["accuracy"] == pytest.approx(est.score(X, Y))
    root = [r for r in rows if r["task_name"] == "fit"]
    assert len(root) == 1 and root[0]["accuracy"] == pytest.approx(est.score(X, Y))
    # early steps score the model of that step, not the final one
    replay = _clf(solver, max_iter=1).fit(X, Y)
    assert steps[0]["accuracy"] == pytest.approx(replay.score(X, Y))


def test_scoring_monitor_regressor_early_stopping():
    monitor = ScoringMonitor(scoring=["r2", "neg_mean_squared_error"])
    est = MLPRegressor(hidden_layer_sizes=(8,), max_iter=40, early_stopping=True,
                       n_iter_no_change=3, learning_rate_init=0.01, random_state=0)  # fmt: skip
    est.set_callbacks(monitor).fit(XR, YR)
    rows = monitor.get_logs().data
    epochs = [r for r in rows if r["task_name"] == "epoch"]
    assert len(epochs) == est.n_iter_ == len(est.validation_scores_)
    root = next(r for r in rows if r["task_name"] == "fit")
    assert root["r2"] == pytest.approx(est.score(XR, YR))  # best weights restored


def test_callbacks_do_not_change_results():
    for make in (
        lambda: _clf("adam", early_stopping=True, validation_fraction=0.2),
        lambda: _clf("lbfgs"),
        lambda: MLPRegressor(
            hidden_layer_sizes=(8,), max_iter=8, random_state=0, dropout=0.2
        ),
    ):
        plain = make()
        regression = isinstance(plain, MLPRegressor)
        monitor = ScoringMonitor(scoring="r2" if regression else "accuracy")
        watched = make().set_callbacks(Recorder(), monitor)
        Xd, yd = (XR, YR) if regression else (X, Y)
        plain.fit(Xd, yd)
        watched.fit(Xd, yd)
        for a, b in zip(
            plain.coefs_ + plain.intercepts_, watched.coefs_ + watched.intercepts_
        ):
            assert_array_equal(a, b)
        assert plain.n_iter_ == watched.n_iter_
        assert getattr(plain, "loss_curve_", None) == getattr(watched, "loss_curve_", None)
        assert not hasattr(watched, "_callback_fit_ctx")


def test_no_callbacks_creates_no_step_contexts(monkeypatch):
    """The default path creates the root context only (no per-epoch work)."""

    def forbidden(*args, **kwargs):
        raise AssertionError("subcontext created without callbacks")

    monkeypatch.setattr(callback.CallbackContext, "subcontext", forbidden)
    _clf("adam").fit(X, Y)
    _clf("lbfgs").fit(X, Y)


# --------------------------------------------------------------------------
# stop requests, partial_fit, failures
# --------------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_callback_can_stop_training(solver):
    rec = Recorder(stop_after=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = _clf(solver, max_iter=50).set_callbacks(rec).fit(X, Y)
    assert est.n_iter_ == 2
    assert len(rec.ends("epoch" if solver == "adam" else "iteration")) == 2
    assert rec.calls[-1][0] == "teardown"


def test_partial_fit_is_one_task():
    rec = Recorder()
    est = _clf("adam").set_callbacks(rec)
    est.partial_fit(X, Y, classes=[0, 1])
    est.partial_fit(X, Y)
    reg = MLPRegressor(hidden_layer_sizes=(4,), random_state=0).set_callbacks(rec)
    reg.partial_fit(XR, YR)
    names = [c[0] for c in rec.calls]
    assert names == ["setup", "begin", "end", "teardown"] * 3
    assert not rec.ends("epoch")


def test_failed_fit_tears_down_and_keeps_callbacks():
    rec = Recorder()
    est = MLPRegressor(loss="poisson", max_iter=3).set_callbacks(rec)
    with sklearn.config_context(enable_metadata_routing=True):
        est.set_fit_request(sample_weight=True)
    with pytest.raises(ValueError, match="non-negative"):
        est.fit(XR, YR)  # negative targets
    assert [c[0] for c in rec.calls] == ["setup", "teardown"]
    assert est._skl_callbacks == [rec]
    assert est.get_metadata_routing().fit.requests["sample_weight"] is True
    assert not hasattr(est, "_callback_fit_ctx")
    est.fit(XR, np.abs(YR))  # and the next fit works
    assert len(rec.ends("epoch")) == 3


def test_pickling_keeps_training_buffer():
    """fitted_estimator copies (copy.copy) must not strip the live estimator."""
    est = _clf("adam").fit(X, Y)
    pickle.dumps(est)
    assert "_params" in est.__dict__


# --------------------------------------------------------------------------
# propagation from meta-estimators
# --------------------------------------------------------------------------


def test_propagation_pipeline_and_grid_search():
    rec = Recorder(propagate=True)
    pipe = make_pipeline(StandardScaler(), _clf("adam", max_iter=3))
    search = GridSearchCV(pipe, {"mlpclassifier__alpha": [1e-4, 1e-2]}, cv=2)
    search.set_callbacks(rec).fit(X, Y)
    # 2 candidates x 2 folds + the refit, 3 epochs each
    assert len(rec.ends("epoch", "MLPClassifier")) == 5 * 3
    assert len(rec.ends("fit", "MLPClassifier")) == 5
    assert [c[0] for c in rec.calls].count("setup") == 1  # on the outermost only
    final = search.best_estimator_[-1]
    assert not hasattr(final, "_skl_callbacks") and not hasattr(final, "_callback_fit_ctx")


def test_scoring_monitor_on_step_inside_pipeline():
    monitor = ScoringMonitor(scoring="accuracy")
    pipe = make_pipeline(StandardScaler(), _clf("adam").set_callbacks(monitor)).fit(X, Y)
    rows = monitor.get_logs().data
    assert len([r for r in rows if r["task_name"] == "epoch"]) == pipe[-1].n_iter_


def test_progressbar_grid_search_processes(capsys):
    pytest.importorskip("rich")
    search = GridSearchCV(
        _clf("lbfgs", max_iter=4), {"alpha": [1e-4, 1e-2]}, cv=2, n_jobs=2
    )
    search.set_callbacks(ProgressBar(max_propagation_depth=None)).fit(X, Y)
    out = capsys.readouterr().out
    assert "GridSearchCV - fit" in out and "MLPClassifier - fit" in out
    assert not re.search(r"\b[0-9]{1,2}%", out)  # every bar completed


# --------------------------------------------------------------------------
# verbose L-BFGS, older scikit-learn
# --------------------------------------------------------------------------


def test_lbfgs_verbose_prints_each_iteration(capsys):
    est = _clf("lbfgs", max_iter=7, verbose=True).fit(X, Y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == est.n_iter_ == 7
    parsed = [re.fullmatch(r"Iteration (\d+), loss = ([0-9.]+)", line) for line in lines]
    assert [int(m.group(1)) for m in parsed] == list(range(1, 8))
    losses = [float(m.group(2)) for m in parsed]
    assert losses[-1] == pytest.approx(est.loss_, abs=1e-8)
    assert losses == sorted(losses, reverse=True)  # L-BFGS iterates descend
    # each printed loss (8 decimals) is the objective at that iterate: scikit-learn's
    # L-BFGS stopped after as many iterations
    expected = [
        SkMLPClassifier(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=k, random_state=0)
        .fit(X, Y)
        .loss_
        for k in range(1, 8)
    ]
    assert losses == pytest.approx(expected, abs=1e-8)


def test_without_sklearn_callback_api():
    """With a scikit-learn lacking sklearn.callback, fastmlp imports and fits."""
    code = textwrap.dedent(
        """
        import sys
        import sklearn.model_selection, sklearn.preprocessing  # import sklearn first
        sys.modules["sklearn.callback"] = None  # then hide its callback API
        import numpy as np
        import fastmlp
        from fastmlp._callbacks import CALLBACKS_AVAILABLE
        assert not CALLBACKS_AVAILABLE
        assert not hasattr(fastmlp.MLPClassifier(), "set_callbacks")
        X = np.random.RandomState(0).rand(40, 3); y = np.arange(40) % 2
        for solver in ("adam", "lbfgs"):
            est = fastmlp.MLPClassifier((4,), solver=solver, max_iter=3, random_state=0)
            est.fit(X, y); est.partial_fit(X, y) if solver == "adam" else None
            assert est.predict(X).shape == (40,)
        print("ok")
        """
    )
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    # Run outside the source tree, so the installed (compiled) fastmlp is imported.
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
        cwd=tempfile.gettempdir(),
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
