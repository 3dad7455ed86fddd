"""Ctrl-C (a real SIGINT, sent from a timer thread while a fit runs) raises
KeyboardInterrupt and leaves the estimator consistent: the parameters of the last
completed epoch (L-BFGS: the last accepted iterate), usable for predict, with n_iter_
and loss_curve_ saying how far it got, and training can go on from there.

"The parameters of the last completed epoch" is checked against a second fit of the
same estimator, same random_state, stopped after exactly n_iter_ epochs: the two must
agree bitwise (BLAS is held at one thread where the comparison needs it).

These tests check behaviour only. How long the interrupt takes to end the call is
measured by the asv benchmarks in benchmarks/bench_interrupt.py.

The tests install their own SIGINT handler for the duration of the fit: the first
SIGINT raises KeyboardInterrupt exactly like Python's default handler; a second one,
sent only if the fit is still running ESCAPE_AFTER seconds later, raises _Escape so
a fit that ignores Ctrl-C cannot hang the test run (and is reported as a failure).
ESCAPE_AFTER is a hang guard, far above any latency seen on a loaded machine; it is
not a latency requirement.
"""

import os
import signal
import threading
import time
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from threadpoolctl import threadpool_limits

from fastmlp import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.skipif(
    not hasattr(signal, "SIGINT") or os.name == "nt", reason="needs POSIX signals"
)


def _stochastic_solvers():
    try:
        options = MLPRegressor._parameter_constraints["solver"][0].options
    except (KeyError, IndexError, AttributeError):
        options = {"sgd", "adam", "lbfgs"}
    return sorted(s for s in options if s != "lbfgs")


DELAY = 0.5  # seconds from the start of the call to the SIGINT
ESCAPE_AFTER = 60.0  # seconds after the SIGINT before the test gives up on the call
MAX_ITER = 10**6  # the long fits never get there: an interrupted one stops far below

_rng = np.random.RandomState(0)
X = _rng.randn(2000, 20)
Y_REG = X[:, 0] - 2 * X[:, 1] + 0.1 * _rng.randn(2000)
Y_CLF = (X[:, 0] + X[:, 2] > 0).astype(int) + (X[:, 3] > 1)


class _Escape(BaseException):
    """Raised by the second SIGINT: the call did not react to the first one."""


def _interrupt(call, delay=DELAY):
    """Run call() in the main thread and send SIGINT to the process after `delay` s,
    if the call is still running then.

    Returns a dict: outcome ('keyboard_interrupt', 'returned', 'escaped' or the
    exception), signal_sent (the SIGINT went out while the call was running),
    warnings (messages of the warnings other than ConvergenceWarning it issued).
    """
    assert threading.current_thread() is threading.main_thread()
    state = {"sent": False, "n_handled": 0}
    finished = threading.Event()

    def handler(signum, frame):
        state["n_handled"] += 1
        if state["n_handled"] == 1:
            raise KeyboardInterrupt
        raise _Escape

    def timer():
        if finished.wait(delay):
            return  # the call ended before the signal was due
        state["sent"] = True
        os.kill(os.getpid(), signal.SIGINT)
        if not finished.wait(ESCAPE_AFTER):
            os.kill(os.getpid(), signal.SIGINT)

    previous = signal.signal(signal.SIGINT, handler)
    thread = threading.Thread(target=timer, daemon=True)
    result = {"outcome": None, "warnings": []}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            thread.start()
            try:
                call()
                result["outcome"] = "returned"
            except KeyboardInterrupt:
                result["outcome"] = "keyboard_interrupt"
            except _Escape:
                result["outcome"] = "escaped"
            except Exception as exc:  # noqa: BLE001 - reported by the caller
                result["outcome"] = exc
            finished.set()
            thread.join()
        result["warnings"] = [
            str(w.message)
            for w in caught
            if "ConvergenceWarning" not in type(w.message).__name__
        ]
    finally:
        finished.set()
        # a late signal must not reach pytest: swallow anything still pending
        signal.signal(signal.SIGINT, lambda *a: None)
        time.sleep(0.05)
        signal.signal(signal.SIGINT, previous)
    result["signal_sent"] = state["sent"]
    return result


def _assert_interrupted(result):
    """The SIGINT reached a running call, and the call ended with KeyboardInterrupt."""
    assert result["signal_sent"], "the call finished before the SIGINT was sent"
    problems = []
    if result["outcome"] == "escaped":
        problems.append(
            f"the call ignored the SIGINT: still running {ESCAPE_AFTER:.0f} s "
            f"later (warnings={result['warnings']})"
        )
    elif result["outcome"] != "keyboard_interrupt":
        problems.append(
            f"KeyboardInterrupt did not propagate: outcome={result['outcome']!r}, "
            f"warnings={result['warnings']}"
        )
    return problems


def _params(est):
    return est.coefs_ + est.intercepts_


def _same_params(a, b):
    pa, pb = _params(a), _params(b)
    return len(pa) == len(pb) and all(np.array_equal(u, v) for u, v in zip(pa, pb))


def _same_outputs(a, b, X):
    if not np.array_equal(a.predict(X), b.predict(X)):
        return False
    if hasattr(a, "predict_proba"):
        return np.array_equal(a.predict_proba(X), b.predict_proba(X))
    return True


def _assert_consistent_epochs(est, fresh_factory, X, y, max_iter=MAX_ITER):
    """Fitted attributes describe the last completed epoch exactly: the model equals
    a fit of the same estimator stopped after n_iter_ epochs, bitwise."""
    problems = []
    if not hasattr(est, "coefs_"):
        return ["the interrupted estimator has no coefs_"]
    for c in _params(est):
        if not np.all(np.isfinite(c)):
            problems.append("non-finite parameters after the interrupt")
    n = est.n_iter_
    if not 0 < n < max_iter:
        problems.append(f"n_iter_={n}: the fit was not stopped part-way")
        return problems
    if n != len(est.loss_curve_):
        problems.append(f"n_iter_={n} but len(loss_curve_)={len(est.loss_curve_)}")
        return problems
    if est.t_ != n * X.shape[0]:
        problems.append(f"t_={est.t_} but n_iter_ * n_samples = {n * X.shape[0]}")
    ref = fresh_factory(max_iter=n).fit(X, y)
    if not _same_params(est, ref):
        problems.append(f"parameters are not those after epoch {n} (n_iter_)")
    if est.loss_curve_ != ref.loss_curve_:
        problems.append("loss_curve_ differs from that of a fit of n_iter_ epochs")
    if est.loss_ != ref.loss_:
        problems.append("loss_ is not the loss of the last completed epoch")
    if est.best_loss_ != ref.best_loss_:
        problems.append(
            f"best_loss_={est.best_loss_} but {ref.best_loss_} after {n} epochs"
        )
    if not _same_outputs(est, ref, X):
        problems.append("predictions differ from those of a fit of n_iter_ epochs")
    # and training goes on from there as from the completed fit
    for m in (est, ref):
        m.set_params(warm_start=True, max_iter=2)
        m.fit(X, y)
    if not _same_params(est, ref) or est.loss_curve_ != ref.loss_curve_:
        problems.append(
            "continuing (warm_start) after the interrupt differs from "
            "continuing a fit of n_iter_ epochs"
        )
    return problems


class _EpochRecorder:
    """A scikit-learn callback (sklearn.callback) keeping the parameters at the end
    of every epoch; what an early-stopping fit leaves behind is the best epoch's, so
    this is the only public view of the last epoch's parameters."""

    def __init__(self):
        self.params = []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        if context.task_name == "epoch":
            self.params.append([np.copy(c) for c in _params(fitted_estimator)])
        return False


def _assert_consistent_early_stopping(est, fresh_factory, X, y, max_iter=MAX_ITER):
    """As _assert_consistent_epochs, with a validation set: the curves and the best
    score are those of a fit of n_iter_ epochs, and the parameters those of its last
    epoch (the interrupted fit does not jump to the best epoch's)."""
    if not hasattr(est, "coefs_"):
        return ["no model left after the interrupt"]
    problems = []
    n = est.n_iter_
    if not 0 < n < max_iter:
        return [f"n_iter_={n}: the fit was not stopped part-way"]
    if len(est.validation_scores_) != n or len(est.loss_curve_) != n:
        problems.append(
            f"n_iter_={n}, {len(est.loss_curve_)} losses, "
            f"{len(est.validation_scores_)} validation scores"
        )
    n_train = X.shape[0] - int(np.ceil(0.1 * X.shape[0]))
    if est.t_ != n * n_train:
        problems.append(f"t_={est.t_} does not match n_iter_={n}")
    if not all(np.all(np.isfinite(c)) for c in _params(est)):
        problems.append("non-finite weights")
    ref = fresh_factory(max_iter=n)
    recorder = None
    if hasattr(ref, "set_callbacks"):  # scikit-learn < 1.9 has no callback API
        recorder = _EpochRecorder()
        ref.set_callbacks(recorder)
    ref.fit(X, y)
    for name in (
        "loss_curve_",
        "validation_scores_",
        "best_validation_score_",
        "validation_loss_curve_",
    ):
        if hasattr(ref, name) and getattr(est, name, None) != getattr(ref, name):
            problems.append(f"{name} differs from that of a fit of n_iter_={n} epochs")
    if recorder is not None:
        last = recorder.params[-1] if len(recorder.params) == n else None
        if last is None or not all(
            np.array_equal(a, b) for a, b in zip(_params(est), last)
        ):
            problems.append(f"parameters are not those after epoch {n} (n_iter_)")
    est.predict(X)
    return problems


def _long_stochastic(Est, solver, **kw):
    params = dict(
        hidden_layer_sizes=(32,),
        solver=solver,
        batch_size=50,
        max_iter=MAX_ITER,
        tol=0.0,
        n_iter_no_change=10**9,
        random_state=0,
    )
    params.update(kw)
    return Est(**params)


@pytest.mark.parametrize("delay", [0.3, 0.7])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize(
    "Est,y", [(MLPClassifier, Y_CLF), (MLPRegressor, Y_REG)], ids=["clf", "reg"]
)
def test_sigint_during_many_epochs(Est, y, solver, delay):
    with threadpool_limits(limits=1):  # deterministic for the bitwise comparison
        est = _long_stochastic(Est, solver)
        result = _interrupt(lambda: est.fit(X, y), delay=delay)
        problems = _assert_interrupted(result)
        problems += _assert_consistent_epochs(
            est, lambda **kw: _long_stochastic(Est, solver, **kw), X, y
        )
    assert not problems, "\n".join(problems)


def test_sigint_during_many_epochs_with_early_stopping():
    def make(**kw):
        return _long_stochastic(MLPClassifier, "adam", early_stopping=True, **kw)

    with threadpool_limits(limits=1):
        est = make()
        result = _interrupt(lambda: est.fit(X, Y_CLF))
        problems = _assert_interrupted(result)
        problems += _assert_consistent_early_stopping(est, make, X, Y_CLF)
    assert not problems, "\n".join(problems)


# One very long epoch: the compiled loop itself must notice the signal.
N_BIG = 600_000
_big_rng = np.random.RandomState(1)


@pytest.fixture(scope="module")
def big_data():
    Xb = _big_rng.randn(N_BIG, 10)
    yb = Xb[:, 0] - Xb[:, 1]
    return Xb, yb


def _public_scalars(est):
    """The fitted attributes other than arrays (counters, curves, best scores)."""
    return {
        k: (list(v) if isinstance(v, list) else v)
        for k, v in vars(est).items()
        if k.endswith("_")
        and not k.startswith("_")
        and not isinstance(v, np.ndarray)
        and k not in ("coefs_", "intercepts_")
    }


def _interrupted_partial_fit(make, Xb, yb):
    """Two estimators make() take a partial_fit on the first 500 rows; then one
    is interrupted in a partial_fit on all rows.  Returns the problems found:
    the interruption's (_assert_interrupted), and anything the interrupted call
    left behind (parameters, counters, predictions, and optimizer state: the
    next partial_fit must equal the other estimator's)."""
    X_small, y_small = Xb[:500], yb[:500]
    est, twin = make(), make()
    for m in (est, twin):
        m.partial_fit(X_small, y_small)
    before = _public_scalars(est)
    coefs = [c.copy() for c in _params(est)]
    pred = est.predict(X_small)
    problems = _assert_interrupted(_interrupt(lambda: est.partial_fit(Xb, yb)))
    if not all(np.array_equal(a, b) for a, b in zip(coefs, _params(est))):
        problems.append("parameters changed by the interrupted epoch")
    after = _public_scalars(est)
    for k in before:
        if k not in after or before[k] != after[k]:
            problems.append(
                f"{k}: {before[k]!r} before, {after.get(k, '<missing>')!r} after"
            )
    if not np.array_equal(est.predict(X_small), pred):
        problems.append("predictions changed by the interrupted epoch")
    for m in (est, twin):
        m.partial_fit(X_small, y_small)
    if not _same_params(est, twin):
        problems.append(
            "continuing after the interrupt differs from never having tried "
            "(optimizer state not restored)"
        )
    return problems


@pytest.mark.parametrize("solver", _stochastic_solvers())
def test_sigint_inside_one_long_partial_fit_epoch(big_data, solver):
    Xb, yb = big_data

    def make():
        return MLPRegressor(
            hidden_layer_sizes=(64,), solver=solver, batch_size=1, random_state=0
        )

    # the last completed epoch is the previous partial_fit: nothing of the
    # interrupted one may remain (parameters, optimizer state, counters)
    problems = _interrupted_partial_fit(make, Xb, yb)
    assert not problems, "\n".join(problems)


def test_sigint_inside_first_long_epoch_of_a_fresh_fit(big_data):
    Xb, yb = big_data

    def make(**kw):
        params = dict(
            hidden_layer_sizes=(64,),
            solver="adam",
            batch_size=1,
            max_iter=1,
            random_state=0,
        )
        params.update(kw)
        return MLPRegressor(**params)

    est = make()
    result = _interrupt(lambda: est.fit(Xb, yb))
    problems = _assert_interrupted(result)
    # no epoch completed: either still unfitted, or fitted with nothing counted
    if hasattr(est, "coefs_"):
        if est.n_iter_ != 0 or len(getattr(est, "loss_curve_", [])) != 0:
            problems.append(
                f"n_iter_={est.n_iter_}, loss_curve_ of "
                f"{len(est.loss_curve_)} although no epoch completed"
            )
        if not all(np.all(np.isfinite(c)) for c in _params(est)):
            problems.append("non-finite weights")
        est.predict(Xb[:10])
    # ... and the weights, if any, are the initial ones: one more epoch on a small set
    # (without shuffling, so that the random stream does not matter) from there
    # equals one epoch of a fresh fit, which starts from the same initialisation
    est.set_params(warm_start=True, shuffle=False)
    est.fit(Xb[:300], yb[:300])
    ref = make(shuffle=False).fit(Xb[:300], yb[:300])
    if not _same_params(est, ref):
        problems.append("the weights left by the interrupt are not the initial weights")
    assert not problems, "\n".join(problems)


def _long_lbfgs(**kw):
    params = dict(
        hidden_layer_sizes=(64,),
        solver="lbfgs",
        max_iter=MAX_ITER,
        tol=0.0,
        max_fun=10**7,
        random_state=0,
    )
    params.update(kw)
    return MLPRegressor(**params)


@pytest.mark.parametrize("blas_threads", [1, 2])
def test_sigint_during_lbfgs_keeps_last_iterate(blas_threads):
    """The parameters are those of iteration n_iter_ (as a fit with max_iter=n_iter_),
    with one thread and with a team sharing each evaluation of the objective."""
    with threadpool_limits(limits=blas_threads):
        est = _long_lbfgs()
        result = _interrupt(lambda: est.fit(X, Y_REG))
        problems = _assert_interrupted(result)
        assert not problems, "\n".join(problems)
        assert hasattr(est, "coefs_") and hasattr(est, "n_iter_"), "no model left"
        assert isinstance(est.n_iter_, (int, np.integer))
        assert 0 < est.n_iter_ < MAX_ITER, f"n_iter_={est.n_iter_}"
        assert np.isfinite(est.loss_)
        for c in _params(est):
            assert np.all(np.isfinite(c))
        ref = _long_lbfgs(max_iter=est.n_iter_).fit(X, Y_REG)
        assert ref.n_iter_ == est.n_iter_
        for a, b in zip(_params(est), _params(ref)):
            assert_array_equal(a, b)
        assert est.loss_ == ref.loss_
        assert_array_equal(est.predict(X), ref.predict(X))
        # warm_start goes on from the last accepted iterate
        for m in (est, ref):
            m.set_params(warm_start=True, max_iter=3)
            m.fit(X, Y_REG)
        for a, b in zip(_params(est), _params(ref)):
            assert_array_equal(a, b)
        assert est.loss_ == ref.loss_


def test_no_signal_no_change():
    """Control: the harness without a signal leaves a normal fit untouched."""
    est = _long_stochastic(MLPRegressor, "adam", max_iter=5)
    result = _interrupt(lambda: est.fit(X, Y_REG), delay=30)
    assert result["outcome"] == "returned" and not result["signal_sent"]
    ref = _long_stochastic(MLPRegressor, "adam", max_iter=5).fit(X, Y_REG)
    for a, b in zip(est.coefs_, ref.coefs_):
        assert_array_equal(a, b)
    assert est.n_iter_ == 5 and est.loss_curve_ == ref.loss_curve_


# Deterministic placement: the SIGINT is raised (a real signal, by the main thread
# itself) at a chosen point of the fit, through a wrapper around an engine entry point.
@pytest.mark.parametrize("point", ["right_after_epoch_5", "inside_validation_scoring_5"])
def test_sigint_at_fixed_points_leaves_consistent_counters(point, monkeypatch):
    from fastmlp._kernels import _engine

    name = "train_epoch" if point.startswith("right_after") else "validation_pass"
    original = getattr(_engine, name)
    calls = [0]

    def wrapper(*args, **kwargs):
        calls[0] += 1
        if name == "validation_pass" and calls[0] == 5:
            signal.raise_signal(signal.SIGINT)  # during the 5th validation scoring
        result = original(*args, **kwargs)
        if name == "train_epoch" and calls[0] == 5:
            signal.raise_signal(signal.SIGINT)  # the 5th epoch's loop has just returned
        return result

    early = name == "validation_pass"

    def make(**kw):
        return _long_stochastic(
            MLPClassifier, "adam", early_stopping=early, **{"max_iter": 50, **kw}
        )

    with threadpool_limits(limits=1):
        est = make()
        monkeypatch.setattr(_engine, name, wrapper)
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            with pytest.raises(KeyboardInterrupt):
                est.fit(X, Y_CLF)
        finally:
            signal.signal(signal.SIGINT, previous)
        monkeypatch.setattr(_engine, name, original)
        # the signal came during epoch 5: epochs 1-4 completed (train_epoch returned
        # for epoch 5, but the epoch was not finished)
        assert est.n_iter_ == 4
        if early:
            problems = _assert_consistent_early_stopping(est, make, X, Y_CLF, max_iter=50)
        else:
            problems = _assert_consistent_epochs(est, make, X, Y_CLF, max_iter=50)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("batch_size", [1, 4])
def test_sigint_inside_a_long_epoch_on_a_thread_team(big_data, batch_size, team):
    """The same when a team of threads shares every batch (only its first thread
    looks for signals; the others leave the loop at the next barrier)."""
    team(2)
    Xb, yb = big_data

    def make():
        return MLPRegressor(
            hidden_layer_sizes=(256,),
            solver="adam",
            batch_size=batch_size,
            max_iter=1,
            random_state=0,
        )

    problems = _interrupted_partial_fit(make, Xb, yb)
    assert not problems, "\n".join(problems)
