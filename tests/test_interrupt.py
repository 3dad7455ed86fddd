"""Issue 5, item 4: Ctrl-C (a real SIGINT, sent from a timer thread) during a long
fit raises KeyboardInterrupt within about a second and leaves the estimator
consistent: the parameters of the last completed epoch, usable for predict, with
n_iter_ and loss_curve_ saying how far it got.

The tests install their own SIGINT handler for the duration of the fit: the first
SIGINT raises KeyboardInterrupt exactly like Python's default handler; a second one,
sent only if the fit is still running ESCAPE_AFTER seconds later, raises _Escape so
a fit that ignores Ctrl-C cannot hang the test run (and is reported as a failure).
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

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name == "nt",
                       reason="needs POSIX signals"),
]

def _stochastic_solvers():
    try:
        options = MLPRegressor._parameter_constraints["solver"][0].options
    except (KeyError, IndexError, AttributeError):
        options = {"sgd", "adam", "lbfgs"}
    return sorted(s for s in options if s != "lbfgs")


DELAY = 0.5          # seconds from the start of the fit to the SIGINT
MAX_LATENCY = 1.5    # "within about a second"
ESCAPE_AFTER = 12.0  # seconds after the SIGINT before the test gives up on the fit

_rng = np.random.RandomState(0)
X = _rng.randn(2000, 20)
Y_REG = X[:, 0] - 2 * X[:, 1] + 0.1 * _rng.randn(2000)
Y_CLF = (X[:, 0] + X[:, 2] > 0).astype(int) + (X[:, 3] > 1)


class _Escape(BaseException):
    """Raised by the second SIGINT: the fit did not react to the first one."""


def _interrupt(call, delay=DELAY):
    """Run call() in the main thread and send SIGINT to the process after `delay` s.

    Returns a dict: outcome ('keyboard_interrupt', 'returned', 'escaped' or the
    exception), latency (seconds from the SIGINT to the end of the call),
    warnings (messages of the warnings issued by the call).
    """
    assert threading.current_thread() is threading.main_thread()
    state = {"sent": None, "n_handled": 0}
    finished = threading.Event()

    def handler(signum, frame):
        state["n_handled"] += 1
        if state["n_handled"] == 1:
            raise KeyboardInterrupt
        raise _Escape

    def timer():
        if finished.wait(delay):
            return  # the call ended before the signal was due
        state["sent"] = time.perf_counter()
        os.kill(os.getpid(), signal.SIGINT)
        if not finished.wait(ESCAPE_AFTER):
            os.kill(os.getpid(), signal.SIGINT)

    previous = signal.signal(signal.SIGINT, handler)
    thread = threading.Thread(target=timer, daemon=True)
    result = {"outcome": None, "latency": None, "warnings": []}
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
            end = time.perf_counter()
            finished.set()
            thread.join()
        result["warnings"] = [str(w.message) for w in caught
                              if "ConvergenceWarning" not in type(w.message).__name__]
    finally:
        finished.set()
        # a late signal must not reach pytest: swallow anything still pending
        signal.signal(signal.SIGINT, lambda *a: None)
        time.sleep(0.05)
        signal.signal(signal.SIGINT, previous)
    if state["sent"] is not None:
        result["latency"] = end - state["sent"]
    result["signal_sent"] = state["sent"] is not None
    return result


def _assert_interrupted(result):
    assert result["signal_sent"], "the call finished before the SIGINT was sent"
    problems = []
    if result["outcome"] != "keyboard_interrupt":
        problems.append(
            f"KeyboardInterrupt did not propagate: outcome={result['outcome']!r}, "
            f"warnings={result['warnings']}"
        )
    if result["latency"] is None or result["latency"] > MAX_LATENCY:
        problems.append(f"the call ended {result['latency']:.2f} s after the SIGINT "
                        f"(required: within ~1 s)")
    return problems


def _assert_consistent_epochs(est, fresh_factory, X, y):
    """Fitted attributes describe the last completed epoch exactly."""
    problems = []
    if not hasattr(est, "coefs_"):
        return ["the interrupted estimator has no coefs_"]
    for c in est.coefs_ + est.intercepts_:
        if not np.all(np.isfinite(c)):
            problems.append("non-finite parameters after the interrupt")
    n = est.n_iter_
    if not (n == len(est.loss_curve_) and n > 0):
        problems.append(f"n_iter_={n} but len(loss_curve_)={len(est.loss_curve_)}")
        return problems
    if est.t_ != n * X.shape[0]:
        problems.append(f"t_={est.t_} but n_iter_ * n_samples = {n * X.shape[0]}")
    pred = est.predict(X)
    if not np.all(np.isfinite(np.asarray(pred, dtype=float))):
        problems.append("predict gives non-finite values")
    # a fit stopped after exactly n epochs gives the same model, bitwise
    ref = fresh_factory(max_iter=n).fit(X, y)
    same = all(np.array_equal(a, b) for a, b in
               zip(est.coefs_ + est.intercepts_, ref.coefs_ + ref.intercepts_))
    if not same:
        problems.append(f"parameters are not those after epoch {n} (n_iter_)")
    if est.loss_curve_ != ref.loss_curve_:
        problems.append("loss_curve_ differs from that of a fit of n_iter_ epochs")
    if est.loss_ != ref.loss_:
        problems.append("loss_ is not the loss of the last completed epoch")
    return problems


def _long_stochastic(Est, solver, **kw):
    params = dict(hidden_layer_sizes=(32,), solver=solver, batch_size=50,
                  max_iter=10**6, tol=0.0, n_iter_no_change=10**9, random_state=0)
    params.update(kw)
    return Est(**params)


@pytest.mark.parametrize("delay", [0.3, 0.7])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("Est,y", [(MLPClassifier, Y_CLF), (MLPRegressor, Y_REG)],
                         ids=["clf", "reg"])
def test_sigint_during_many_epochs(Est, y, solver, delay):
    with threadpool_limits(limits=1):  # deterministic for the bitwise comparison
        est = _long_stochastic(Est, solver)
        result = _interrupt(lambda: est.fit(X, y), delay=delay)
        problems = _assert_interrupted(result)
        problems += _assert_consistent_epochs(
            est, lambda **kw: _long_stochastic(Est, solver, **kw), X, y)
        if hasattr(est, "coefs_"):
            # and training can go on from there
            est.set_params(warm_start=True, max_iter=2)
            est.fit(X, y)
            if not all(np.all(np.isfinite(c)) for c in est.coefs_):
                problems.append("continuing after the interrupt gives non-finite weights")
    assert not problems, "\n".join(problems)


def test_sigint_during_many_epochs_with_early_stopping():
    with threadpool_limits(limits=1):
        est = _long_stochastic(MLPClassifier, "adam", early_stopping=True)
        result = _interrupt(lambda: est.fit(X, Y_CLF))
        problems = _assert_interrupted(result)
        if hasattr(est, "coefs_"):
            if len(est.validation_scores_) != est.n_iter_ or len(est.loss_curve_) != est.n_iter_:
                problems.append(
                    f"n_iter_={est.n_iter_}, {len(est.loss_curve_)} losses, "
                    f"{len(est.validation_scores_)} validation scores")
            if not all(np.all(np.isfinite(c)) for c in est.coefs_):
                problems.append("non-finite weights")
            est.predict(X)
        else:
            problems.append("no model left after the interrupt")
    assert not problems, "\n".join(problems)


# One very long epoch: the compiled loop itself must notice the signal.
N_BIG = 600_000
_big_rng = np.random.RandomState(1)


@pytest.fixture(scope="module")
def big_data():
    Xb = _big_rng.randn(N_BIG, 10)
    yb = Xb[:, 0] - Xb[:, 1]
    return Xb, yb


@pytest.mark.parametrize("solver", _stochastic_solvers())
def test_sigint_inside_one_long_partial_fit_epoch(big_data, solver):
    Xb, yb = big_data

    def make():
        return MLPRegressor(hidden_layer_sizes=(64,), solver=solver, batch_size=1,
                            random_state=0)

    est, twin = make(), make()
    for m in (est, twin):
        m.partial_fit(Xb[:500], yb[:500])
    before = {k: (list(v) if isinstance(v, list) else v) for k, v in vars(est).items()
              if k.endswith("_") and not k.startswith("_") and not isinstance(v, np.ndarray)}
    coefs = [c.copy() for c in est.coefs_ + est.intercepts_]
    pred = est.predict(Xb[:100])

    t0 = time.perf_counter()
    result = _interrupt(lambda: est.partial_fit(Xb, yb))
    elapsed = time.perf_counter() - t0
    problems = _assert_interrupted(result)
    # the last completed epoch is the previous partial_fit: nothing of the
    # interrupted one may remain (parameters, optimizer state, counters)
    if not all(np.array_equal(a, b) for a, b in zip(coefs, est.coefs_ + est.intercepts_)):
        problems.append("parameters changed by the interrupted epoch")
    after = {k: (list(v) if isinstance(v, list) else v) for k, v in vars(est).items()
             if k.endswith("_") and not k.startswith("_") and not isinstance(v, np.ndarray)}
    for k in before:
        if k in ("coefs_", "intercepts_"):
            continue
        if k not in after or before[k] != after[k]:
            problems.append(f"{k}: {before[k]!r} before, {after.get(k, '<missing>')!r} after")
    if not np.array_equal(est.predict(Xb[:100]), pred):
        problems.append("predictions changed by the interrupted epoch")
    for m in (est, twin):
        m.partial_fit(Xb[:500], yb[:500])
    if not all(np.array_equal(a, b) for a, b in
               zip(est.coefs_ + est.intercepts_, twin.coefs_ + twin.intercepts_)):
        problems.append("continuing after the interrupt differs from never having tried "
                        "(optimizer state not restored)")
    if problems:
        problems.append(f"(info: the interrupted call took {elapsed:.2f} s)")
    assert not problems, "\n".join(problems)


def test_sigint_inside_first_long_epoch_of_a_fresh_fit(big_data):
    Xb, yb = big_data
    est = MLPRegressor(hidden_layer_sizes=(64,), solver="adam", batch_size=1, max_iter=1,
                       random_state=0)
    result = _interrupt(lambda: est.fit(Xb, yb))
    problems = _assert_interrupted(result)
    # no epoch completed: either still unfitted, or fitted with nothing counted
    if hasattr(est, "coefs_"):
        if est.n_iter_ != 0 or len(getattr(est, "loss_curve_", [])) != 0:
            problems.append(f"n_iter_={est.n_iter_}, loss_curve_ of "
                            f"{len(est.loss_curve_)} although no epoch completed")
        if not all(np.all(np.isfinite(c)) for c in est.coefs_):
            problems.append("non-finite weights")
        est.predict(Xb[:10])
    assert not problems, "\n".join(problems)


def _long_lbfgs(**kw):
    params = dict(hidden_layer_sizes=(64,), solver="lbfgs", max_iter=10**5, tol=0.0,
                  max_fun=10**6, random_state=0)
    params.update(kw)
    return MLPRegressor(**params)


def test_sigint_during_lbfgs():
    est = _long_lbfgs()
    result = _interrupt(lambda: est.fit(X, Y_REG))
    problems = _assert_interrupted(result)
    if hasattr(est, "coefs_"):
        if not all(np.all(np.isfinite(c)) for c in est.coefs_ + est.intercepts_):
            problems.append("non-finite weights")
        if not isinstance(getattr(est, "n_iter_", None), (int, np.integer)):
            problems.append("n_iter_ missing after the interrupt")
        if not np.isfinite(getattr(est, "loss_", np.nan)):
            problems.append("loss_ missing or non-finite after the interrupt")
        try:
            est.predict(X)
        except Exception as exc:  # noqa: BLE001
            problems.append(f"predict fails after the interrupt: {exc!r}")
    assert not problems, "\n".join(problems)


def test_sigint_during_lbfgs_keeps_last_iterate():
    """The parameters are those of iteration n_iter_ (as a fit with max_iter=n_iter_)."""
    with threadpool_limits(limits=1):
        est = _long_lbfgs()
        result = _interrupt(lambda: est.fit(X, Y_REG))
        assert result["signal_sent"]
        assert hasattr(est, "coefs_") and hasattr(est, "n_iter_"), "no model left"
        assert est.n_iter_ > 0
        ref = _long_lbfgs(max_iter=est.n_iter_).fit(X, Y_REG)
        for a, b in zip(est.coefs_ + est.intercepts_, ref.coefs_ + ref.intercepts_):
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


# Deterministic placement: the SIGINT is raised (a real signal, by the main thread
# itself) at a chosen point of the fit, through a wrapper around an engine entry point.
@pytest.mark.parametrize("point", ["right_after_epoch_5", "inside_validation_scoring_5"])
def test_sigint_at_fixed_points_leaves_consistent_counters(point, monkeypatch):
    from fastmlp._kernels import _engine

    name = "train_epoch" if point.startswith("right_after") else "predict"
    original = getattr(_engine, name)
    calls = [0]

    def wrapper(*args, **kwargs):
        calls[0] += 1
        if name == "predict" and calls[0] == 5:
            signal.raise_signal(signal.SIGINT)  # during the 5th validation scoring
        result = original(*args, **kwargs)
        if name == "train_epoch" and calls[0] == 5:
            signal.raise_signal(signal.SIGINT)  # the 5th epoch's loop has just returned
        return result

    early = name == "predict"
    with threadpool_limits(limits=1):
        est = _long_stochastic(MLPClassifier, "adam", max_iter=50, early_stopping=early)
        monkeypatch.setattr(_engine, name, wrapper)
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            with pytest.raises(KeyboardInterrupt):
                est.fit(X, Y_CLF)
        finally:
            signal.signal(signal.SIGINT, previous)
        monkeypatch.setattr(_engine, name, original)
        problems = []
        n = est.n_iter_
        if len(est.loss_curve_) != n:
            problems.append(f"n_iter_={n} but {len(est.loss_curve_)} losses")
        if early and len(est.validation_scores_) != n:
            problems.append(f"n_iter_={n} but {len(est.validation_scores_)} validation scores")
        if est.t_ != n * (len(X) - (int(np.ceil(0.1 * len(X))) if early else 0)):
            problems.append(f"t_={est.t_} does not match n_iter_={n}")
        if not early:
            problems += _assert_consistent_epochs(
                est, lambda **kw: _long_stochastic(MLPClassifier, "adam", **kw), X, Y_CLF)
        est.predict(X)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("batch_size", [1, 4])
def test_sigint_inside_a_long_epoch_on_a_thread_team(big_data, batch_size, monkeypatch):
    """The same when a team of threads shares every batch (only its first thread
    looks for signals; the others leave the loop at the next barrier)."""
    from fastmlp import _threads

    monkeypatch.setattr(_threads, "team_size", lambda rows, flops: 2)
    Xb, yb = big_data
    est = MLPRegressor(hidden_layer_sizes=(256,), solver="adam", batch_size=batch_size,
                       max_iter=1, random_state=0)
    est.partial_fit(Xb[:500], yb[:500])
    coefs = [c.copy() for c in est.coefs_ + est.intercepts_]
    result = _interrupt(lambda: est.partial_fit(Xb, yb))
    problems = _assert_interrupted(result)
    if not all(np.array_equal(a, b) for a, b in zip(coefs, est.coefs_ + est.intercepts_)):
        problems.append("parameters changed by the interrupted epoch")
    est.partial_fit(Xb[:500], yb[:500])
    assert not problems, "\n".join(problems)
