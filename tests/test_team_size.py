"""The measured team size (fastmlp/_threads.py, TeamChoice and session): whether
a call runs on the team or on one thread follows from the times the calls
report, and never changes a result.

No test reads a clock: the rule is followed with given times (TeamChoice), and
the drivers run with the session's clocks replaced by counters that each engine
call advances by a scripted wall and CPU time (_ScriptedTimes).  The arithmetic
of those fits and predictions is real, so each is also compared, bit for bit,
with the same call on one thread.
"""

import math
import threading

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from threadpoolctl import threadpool_limits

from fastmlp import MLPClassifier, MLPRegressor, _threads
from fastmlp._kernels import _engine

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

CHECK = _threads.RECHECK_CALLS
CAP = _threads.MAX_RECHECK_SECONDS
WORK = ("epoch", 200, 5e6)
U = 1 / 64  # a unit of time: its multiples add up exactly


def _team_call(choice, seconds, share, rows=1000, work=WORK, team=2):
    """A call on `team` threads that took `seconds` and had `share` of its
    threads' CPU time."""
    assert choice.threads(team) == team
    choice.record(work, team, seconds, share * team * seconds, rows)


def _one_call(choice, seconds, rows=1000, work=WORK, team=2):
    assert choice.threads(team) == 1
    choice.record(work, 1, seconds, seconds, rows)


def _until_check(choice, seconds, share=0.5, work=WORK):
    """Calls of the chosen option, `seconds` each, until the next call is a
    check; returns how many."""
    calls = 0
    while choice.threads(2) == (1 if choice.alone else 2):
        if choice.alone:
            _one_call(choice, seconds, work=work)
        else:
            _team_call(choice, seconds, share, work=work)
        calls += 1
    assert choice.elapsed >= choice.check_at
    return calls


# ----------------------------------------------------------------------
# The rule, with given times
# ----------------------------------------------------------------------
def test_a_team_with_its_cpus_is_kept_and_one_thread_never_tried():
    choice = _threads.TeamChoice()
    for _ in range(50):
        # slower per row than any one-thread call would be: not looked at
        _team_call(choice, 1.0, share=_threads.BUSY_SHARE)
    assert not choice.alone
    assert choice.check_at == math.inf
    assert choice.threads(2) == 2


def test_a_team_kept_waiting_is_compared_with_one_thread():
    """Another process holds a CPU: the team's epoch (3 units of time, its
    threads running half of it) is followed by one on one thread (2 units),
    which wins; the team is tried again once the calls have taken
    RECHECK_CALLS times that call, then twice as long each time it loses
    again, up to MAX_RECHECK_SECONDS."""
    choice = _threads.TeamChoice()
    _team_call(choice, 3 * U, share=0.5)
    assert choice.check_at == choice.elapsed  # the next call is a check
    _one_call(choice, 2 * U)
    assert choice.alone
    assert choice.check_at == choice.elapsed + CHECK * 2 * U
    spacings, calls = [], []
    for _ in range(6):
        calls.append(_until_check(choice, 2 * U))
        _team_call(choice, 3 * U, share=0.5)  # the team, slower again
        assert choice.alone
        assert choice.check_at == choice.elapsed + choice.spacing
        spacings.append(choice.spacing)
    first = CHECK * 2 * U
    assert spacings == [2 * first, 4 * first, CAP, CAP, CAP, CAP]
    assert 4 * first < CAP < 8 * first
    # one-thread calls between checks: the spacing's worth
    assert calls == [CHECK, 2 * CHECK, 4 * CHECK] + [int(CAP / (2 * U))] * 3


def test_the_check_uses_the_newest_times_of_each_option():
    """The load lifts partly: the team, still kept waiting, is now faster per
    row than one thread was, and becomes the choice; one thread is checked
    again later."""
    choice = _threads.TeamChoice()
    _team_call(choice, 3 * U, share=0.5)
    _one_call(choice, 2 * U)
    assert choice.alone
    _until_check(choice, 2 * U)
    _team_call(choice, 1.5 * U, share=0.6)
    assert not choice.alone
    assert choice.check_at == choice.elapsed + CHECK * 1.5 * U
    # team calls (still kept waiting) until one thread is checked again
    assert _until_check(choice, 1.5 * U, share=0.6) == CHECK
    _one_call(choice, 2 * U)  # one thread still slower: the team stays
    assert not choice.alone
    assert choice.spacing == 2 * CHECK * 1.5 * U


def test_a_team_with_its_cpus_again_ends_the_checks():
    choice = _threads.TeamChoice()
    _team_call(choice, 3 * U, share=0.5)
    _one_call(choice, 2 * U)
    assert choice.alone
    _until_check(choice, 2 * U)
    _team_call(choice, 1.5 * U, share=0.95)  # the load is gone
    assert not choice.alone
    assert choice.check_at == math.inf and choice.spacing == 0.0


def test_a_team_kept_waiting_but_faster_stays():
    """A prediction's chunks go to whichever thread is free: a team kept
    waiting can still beat one thread; it stays the choice."""
    work = ("predict", 10**5, 1e9)
    choice = _threads.TeamChoice()
    _team_call(choice, 2 * U, share=0.6, work=work)
    _one_call(choice, 3 * U, work=work)
    assert not choice.alone
    assert choice.check_at == choice.elapsed + CHECK * 3 * U


def test_times_are_compared_per_row():
    """The team's call of 3 units over 3000 rows is faster than one thread's
    2 units over 1000 rows."""
    choice = _threads.TeamChoice()
    _team_call(choice, 3 * U, share=0.5, rows=3000)
    _one_call(choice, 2 * U, rows=1000)
    assert not choice.alone


def test_times_of_different_work_are_not_compared():
    """A check of work without a time of the chosen option keeps the choice
    (however fast it was: another network's time per row says nothing); the
    team was still kept waiting, so the next check comes twice as late, as
    after a comparison that keeps the choice."""
    other = ("epoch", 32, 1e7)
    choice = _threads.TeamChoice()
    _team_call(choice, 3 * U, share=0.5)
    _one_call(choice, 2 * U)
    assert choice.alone
    _until_check(choice, 2 * U)
    _team_call(choice, U / 8, share=0.5, work=other)
    assert choice.alone
    assert choice.check_at == choice.elapsed + 2 * CHECK * 2 * U
    # work is compared with its own times only
    _one_call(choice, U / 4, work=other)
    _until_check(choice, U / 4, work=other)
    _team_call(choice, U / 8, share=0.5, work=other)
    assert not choice.alone


def test_the_oldest_works_are_forgotten():
    choice = _threads.TeamChoice()
    for k in range(_threads.MAX_WORKS + 5):
        _team_call(choice, 1.0, share=0.95, work=("epoch", k, 1e7))
    assert len(choice._rates) == _threads.MAX_WORKS
    assert ("epoch", 4, 1e7) not in choice._rates
    assert ("epoch", 5, 1e7) in choice._rates


def test_no_team_offered_one_thread():
    choice = _threads.TeamChoice()
    assert choice.threads(1) == 1
    choice.check_at = 0.0
    assert choice.threads(1) == 1


# ----------------------------------------------------------------------
# Sessions and drivers, with scripted times
# ----------------------------------------------------------------------
class _ScriptedTimes:
    """Replaces the session's clocks by counters, and an engine entry point by
    one that runs it and advances the counters by times[n_threads] = (wall
    seconds, share of the threads' CPU time), recording each call's size."""

    def __init__(self, monkeypatch, entry, times, position=-1):
        self.wall = self.cpu = 0.0
        self.sizes = []
        monkeypatch.setattr(_threads, "_clock", lambda: self.wall)
        monkeypatch.setattr(_threads, "_cpu_clock", lambda: self.cpu)
        monkeypatch.setattr(_threads, "_choices", {})
        run = getattr(_engine, entry)

        def timed(*args):
            n_threads = args[position]
            self.sizes.append(n_threads)
            seconds, share = times[n_threads]
            self.wall += seconds
            self.cpu += share * n_threads * seconds
            return run(*args)

        monkeypatch.setattr(_engine, entry, timed)


@pytest.fixture
def team_of(monkeypatch):
    """team_of(n): fastmlp's own rule gives a team of n (measured, on any
    machine)."""

    def use(n):
        size = lambda rows, flops: n  # noqa: E731
        monkeypatch.setattr(_threads, "team_size", size)
        monkeypatch.setattr(_threads, "_own_team_size", size)

    return use


_rng = np.random.RandomState(0)
X = _rng.randn(400, 12)
Y = (X[:, 0] + X[:, 2] > 0).astype(int) + (X[:, 3] > 1)
SW = _rng.uniform(0.2, 3.0, 400)


# Per call (wall time, share of the threads' CPU time): a team kept waiting,
# slower than one thread.
SLOW_TEAM = {2: (3 * U, 0.5), 1: (2 * U, 1.0)}


def _params(est):
    return est.coefs_ + est.intercepts_


def _assert_same_model(ref, est):
    for a, b in zip(_params(ref), _params(est)):
        assert_array_equal(b, a)
    assert est.loss_curve_ == ref.loss_curve_
    assert est.n_iter_ == ref.n_iter_


def _expected_sizes(calls, team, one, team_size=2):
    """The sizes TeamChoice gives `calls` calls of one work taking team =
    (seconds, share) on the team and one = (seconds, 1.0) alone."""
    choice, sizes = _threads.TeamChoice(), []
    for _ in range(calls):
        n = choice.threads(team_size)
        seconds, share = team if n > 1 else one
        choice.record(WORK, n, seconds, share * n * seconds, 1)
        sizes.append(n)
    return sizes


def test_epochs_go_alone_while_the_team_is_kept_waiting(team_of, monkeypatch):
    """Scripted: a team epoch takes 3 units of time with its threads running
    half of it, one thread 2 units.  The fit's epochs follow the rule (first on
    the team, then one thread, the team tried again after 10 epochs, then 20,
    ...) and the model is the one-thread model, bit for bit (sample weights and
    dropout included)."""

    def make():
        return MLPClassifier(
            hidden_layer_sizes=(16, 8),
            batch_size=50,
            max_iter=30,
            tol=0.0,
            random_state=0,
            dropout=0.2,
        )

    with threadpool_limits(limits=1):
        ref = make().fit(X, Y, sample_weight=SW)
    team_of(2)
    times = _ScriptedTimes(monkeypatch, "train_epoch", SLOW_TEAM)
    est = make().fit(X, Y, sample_weight=SW)
    assert times.sizes == _expected_sizes(30, *SLOW_TEAM.values())
    assert times.sizes[:13] == [2] + [1] * 11 + [2]
    assert times.sizes.count(2) == 2
    _assert_same_model(ref, est)


def test_epochs_stay_on_a_team_with_its_cpus(team_of, monkeypatch):
    team_of(3)
    times = _ScriptedTimes(monkeypatch, "train_epoch", {3: (5 * U, 0.9), 1: (U, 1.0)})
    MLPClassifier(
        hidden_layer_sizes=(16,), batch_size=50, max_iter=12, tol=0.0, random_state=0
    ).fit(X, Y)
    assert times.sizes == [3] * 12


def test_the_choice_carries_over_to_the_next_fit(team_of, monkeypatch):
    """A second fit of the same network starts on one thread (the first found
    the team slower) and checks the team when the first fit's schedule says."""
    team_of(2)
    times = _ScriptedTimes(monkeypatch, "train_epoch", SLOW_TEAM)

    def fit(epochs):
        MLPClassifier(
            hidden_layer_sizes=(16,),
            batch_size=50,
            max_iter=epochs,
            tol=0.0,
            random_state=0,
        ).fit(X, Y)

    fit(3)
    fit(12)
    assert times.sizes == _expected_sizes(15, *SLOW_TEAM.values())
    assert times.sizes[3] == 1


def test_early_stopping_validation_runs_at_the_epochs_choice(team_of, monkeypatch):
    team_of(2)
    times = _ScriptedTimes(monkeypatch, "train_epoch", SLOW_TEAM)
    passes = []
    validation_pass = _engine.validation_pass

    def spy(*args):
        passes.append(args[-1])
        return validation_pass(*args)

    monkeypatch.setattr(_engine, "validation_pass", spy)
    MLPClassifier(
        hidden_layer_sizes=(16,),
        batch_size=50,
        max_iter=6,
        tol=0.0,
        early_stopping=True,
        n_iter_no_change=100,
        random_state=0,
    ).fit(X, Y)
    assert times.sizes == [2, 1, 1, 1, 1, 1]
    # each epoch's validation pass: the choice after the epoch
    assert passes == [2, 1, 1, 1, 1, 1]


def test_lbfgs_evaluations_follow_the_rule(team_of, monkeypatch):
    def make():
        return MLPRegressor(
            hidden_layer_sizes=(16,), solver="lbfgs", max_iter=20, random_state=0
        )

    y = X[:, 0] - X[:, 1]
    with threadpool_limits(limits=1):
        ref = make().fit(X, y, sample_weight=SW)
    team_of(2)
    times = _ScriptedTimes(monkeypatch, "loss_grad", SLOW_TEAM)
    est = make().fit(X, y, sample_weight=SW)
    assert times.sizes == _expected_sizes(len(times.sizes), *SLOW_TEAM.values())
    assert 1 in times.sizes and times.sizes[0] == 2
    for a, b in zip(_params(ref), _params(est)):
        assert_array_equal(b, a)
    assert est.loss_ == ref.loss_


def test_predictions_keep_the_choice_from_call_to_call(team_of, monkeypatch):
    """Each prediction is one call: the choice made by earlier ones decides.
    Epochs of a fit are another kind of call, with a choice of their own."""
    est = MLPClassifier(hidden_layer_sizes=(16,), max_iter=3, random_state=0).fit(X, Y)
    ref = est.predict_proba(X)
    team_of(2)
    times = _ScriptedTimes(monkeypatch, "predict", SLOW_TEAM, position=4)
    for _ in range(5):
        assert_array_equal(est.predict_proba(X), ref)
    assert times.sizes == [2, 1, 1, 1, 1]
    assert _threads._choices["predict"].alone
    assert "epoch" not in _threads._choices


def test_a_replaced_team_size_is_used_as_given(monkeypatch):
    """Tests and benchmarks that replace team_size fix the size: no
    measurement."""
    monkeypatch.setattr(_threads, "team_size", lambda rows, flops: 2)
    times = _ScriptedTimes(monkeypatch, "train_epoch", SLOW_TEAM)
    MLPClassifier(
        hidden_layer_sizes=(16,), batch_size=50, max_iter=5, tol=0.0, random_state=0
    ).fit(X, Y)
    assert times.sizes == [2] * 5
    assert _threads._choices == {}


def test_calls_beside_another_session_get_one_thread_and_are_not_recorded(
    team_of, monkeypatch
):
    """While another Python thread is in a session, every call gets one thread
    and its time (shared CPUs) teaches the choice nothing."""
    team_of(2)
    times = _ScriptedTimes(monkeypatch, "train_epoch", SLOW_TEAM)
    inside, leave = threading.Event(), threading.Event()

    def other():
        with _threads.session(200, 1e9, "predict"):
            inside.set()
            leave.wait(60)

    thread = threading.Thread(target=other)
    thread.start()
    try:
        assert inside.wait(60)
        MLPClassifier(
            hidden_layer_sizes=(16,), batch_size=50, max_iter=4, tol=0.0, random_state=0
        ).fit(X, Y)
    finally:
        leave.set()
        thread.join()
    assert times.sizes == [1] * 4
    assert _threads._choices["epoch"]._rates == {}
    assert not _threads._choices["epoch"].alone


def test_a_failed_call_is_not_recorded(team_of, monkeypatch):
    """An epoch that stops at a non-finite loss did not do the work of an
    epoch: its time is not recorded."""
    team_of(2)
    _ScriptedTimes(monkeypatch, "train_epoch", SLOW_TEAM)
    with pytest.raises(ValueError, match="non-finite"):
        MLPRegressor(
            hidden_layer_sizes=(16,), batch_size=50, max_iter=3, random_state=0
        ).fit(X * 1e200, Y)
    assert _threads._choices["epoch"]._rates == {}


@pytest.mark.parametrize("n_threads", [2, 3])
def test_team_sizes_changing_between_epochs_give_the_one_thread_fit(
    team_of, monkeypatch, n_threads
):
    """Epoch after epoch on n, 1, n, 1, ... threads: the same parameters, loss
    curve and validation scores as on one thread, bit for bit."""

    class Alternating:
        calls = 0

        def threads(self, team):
            self.calls += 1
            return team if self.calls % 2 else 1

        def record(self, *args):
            pass

        alone = False

    team_of(n_threads)
    monkeypatch.setattr(_threads, "_choices", {"epoch": Alternating()})

    def make():
        return MLPClassifier(
            hidden_layer_sizes=(17, 9),
            batch_size=40,
            max_iter=8,
            tol=0.0,
            random_state=0,
            alpha=1e-3,
            early_stopping=True,
            n_iter_no_change=100,
            dropout=[0.2, 0.1],
        )

    est = make().fit(X, Y, sample_weight=SW)
    with threadpool_limits(limits=1):
        monkeypatch.setattr(_threads, "_choices", {})
        team_of(1)
        ref = make().fit(X, Y, sample_weight=SW)
    _assert_same_model(ref, est)
    assert est.validation_scores_ == ref.validation_scores_


def test_never_more_threads_than_blas_allows(monkeypatch):
    """However the choice stands, a call gets at most what team_size offers,
    which follows the BLAS limit (nested use: joblib and Dask workers limit
    BLAS to one thread)."""
    monkeypatch.setattr(_threads, "_choices", {})
    sizes = []
    train_epoch = _engine.train_epoch

    def spy(*args):
        sizes.append(args[-1])
        return train_epoch(*args)

    monkeypatch.setattr(_engine, "train_epoch", spy)
    Xw = np.tile(X, (10, 4))
    with threadpool_limits(limits=1, user_api="blas"):
        MLPClassifier(
            hidden_layer_sizes=(128,), batch_size=200, max_iter=3, random_state=0
        ).fit(Xw, np.tile(Y, 10))
    assert sizes == [1, 1, 1]
    assert _threads._choices == {}


def test_a_slow_check_waits_ten_times_its_own_time():
    """A team check that took 8 times a one-thread call (a thread stuck behind
    another process for a while): the next check waits RECHECK_CALLS times
    that check, not just twice the last spacing, so checks never cost more than
    1/RECHECK_CALLS of the calls' time."""
    choice = _threads.TeamChoice()
    _team_call(choice, 3 * U, share=0.5)
    _one_call(choice, 2 * U)
    _until_check(choice, 2 * U)
    _team_call(choice, 16 * U, share=0.2)
    assert choice.alone
    assert choice.spacing == CHECK * 16 * U
