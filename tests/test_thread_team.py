"""The engine's thread team (fastmlp/_threads.py, _epoch_worker/_predict_worker in
_kernels/_engine.pyx): a batch shared by 2 or 3 threads gives the model a single
thread gives.  (Fits and predictions called from several Python threads at once:
tests/test_concurrent_calls.py.)

The sizes here are far below the team's thresholds, so the tests force a team
size by replacing fastmlp._threads.team_size.  The single-thread reference runs
with BLAS limited to one thread as well.  What may differ between the two is the
order in which the threads' partial sums of loss and sample weight are added, so
parameters and loss curves are compared to ~1e-12 relative; anything else a
split could get wrong (a row block forwarded with another block's dropout mask,
a column block of the gradient stepped twice or not at all, a thread reading
parameters another thread has not finished updating) shows as a difference of
order one.

That a team of one gives the same results too is why the last tests watch the
process's native threads during fits and predictions of real size, with the team
size left to fastmlp: they fail if the team silently runs on one thread.
"""

import os
import threading
import time

import numpy as np
import pytest
import scipy.sparse as sp
from _reference.network import estimator_predict_proba as predict_proba
from numpy.testing import assert_allclose
from threadpoolctl import threadpool_info, threadpool_limits

from fastmlp import MLPClassifier, MLPRegressor, _threads

RTOL = 1e-11

_rng = np.random.RandomState(0)
X = _rng.randn(300, 12)
Y_REG = np.c_[X[:, 0] - 2 * X[:, 1], np.sin(X[:, 2])] + 0.1 * _rng.randn(300, 2)
Y_CLF = (X[:, 0] + X[:, 2] > 0).astype(int) + (X[:, 3] > 1)
SW = _rng.uniform(0.2, 3.0, 300)
SW[:40] = 0.0  # whole zero-weight batches with batch_size=20 and shuffle=False


def _params(est):
    return est.coefs_ + est.intercepts_


def _fit_both(team, make, n_threads, X, y, **fit_kw):
    with threadpool_limits(limits=1):
        team(1)
        ref = make().fit(X, y, **fit_kw)
        team(n_threads)
        est = make().fit(X, y, **fit_kw)
    return ref, est


def _assert_same_model(ref, est):
    for a, b in zip(_params(ref), _params(est)):
        assert_allclose(b, a, rtol=RTOL, atol=1e-13)
    assert_allclose(est.loss_curve_, ref.loss_curve_, rtol=RTOL)
    assert est.n_iter_ == ref.n_iter_
    assert est.t_ == ref.t_


CASES = {
    "adam": dict(solver="adam"),
    "sgd-nesterov": dict(solver="sgd", momentum=0.9, learning_rate_init=0.05),
    "sgd-plain-invscaling": dict(
        solver="sgd", momentum=0.0, learning_rate="invscaling", learning_rate_init=0.05
    ),
    "adamw": dict(solver="adamw", weight_decay=0.05),
    "adagrad": dict(solver="adagrad", learning_rate_init=0.05),
    "rmsprop": dict(solver="rmsprop"),
    "adadelta": dict(solver="adadelta", learning_rate_init=1.0),
    "l1": dict(solver="adam", alpha=0.01, l1_ratio=0.5),
    "pure-l1": dict(solver="sgd", alpha=0.01, l1_ratio=1.0, learning_rate_init=0.05),
    "no-penalty": dict(solver="adam", alpha=0.0),
    "dropout": dict(solver="adam", dropout=[0.3, 0.1]),
    "gelu-tanh": dict(solver="adam", activation=["gelu", "tanh"]),
    "no-shuffle": dict(solver="adam", shuffle=False),
    "early-stopping": dict(solver="adam", early_stopping=True, n_iter_no_change=100),
}


@pytest.mark.parametrize("n_threads", [2, 3])
@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize(
    "Est,y", [(MLPClassifier, Y_CLF), (MLPRegressor, Y_REG)], ids=["clf", "reg"]
)
def test_team_fit_equals_one_thread(team, Est, y, case, n_threads):
    def make():
        return Est(
            hidden_layer_sizes=(17, 9),
            batch_size=20,
            max_iter=4,
            tol=0.0,
            random_state=0,
            **{"alpha": 1e-3, **CASES[case]},
        )

    ref, est = _fit_both(team, make, n_threads, X, y)
    _assert_same_model(ref, est)


@pytest.mark.parametrize("n_threads", [2, 3])
def test_team_with_zero_weight_batches_and_sample_weight(team, n_threads):
    def make():
        return MLPRegressor(
            hidden_layer_sizes=(16,),
            batch_size=20,
            max_iter=3,
            shuffle=False,
            tol=0.0,
            random_state=0,
        )

    ref, est = _fit_both(team, make, n_threads, X, Y_REG, sample_weight=SW)
    _assert_same_model(ref, est)


@pytest.mark.parametrize("n_threads", [2, 3])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_team_sparse_input(team, n_threads, dtype):
    Xs = sp.random(300, 40, density=0.2, format="csr", random_state=0, dtype=dtype)

    def make():
        return MLPClassifier(
            hidden_layer_sizes=(15,),
            batch_size=25,
            max_iter=3,
            tol=0.0,
            random_state=0,
            alpha=1e-3,
        )

    ref, est = _fit_both(team, make, n_threads, Xs, Y_CLF)
    rtol = RTOL if dtype == np.float64 else 1e-5
    for a, b in zip(_params(ref), _params(est)):
        assert_allclose(b, a, rtol=rtol, atol=rtol * 1e-2)
    assert_allclose(est.loss_curve_, ref.loss_curve_, rtol=rtol)


def test_team_float32(team):
    X32 = X.astype(np.float32)

    def make():
        return MLPClassifier(
            hidden_layer_sizes=(33,), batch_size=32, max_iter=3, tol=0.0, random_state=0
        )

    ref, est = _fit_both(team, make, 2, X32, Y_CLF)
    assert est.coefs_[0].dtype == np.float32
    for a, b in zip(_params(ref), _params(est)):
        assert_allclose(b, a, rtol=1e-5, atol=1e-7)


def test_more_threads_than_rows_or_units(team):
    """Batches of 2 rows and layers of 2 units on 3 threads: some threads get no
    rows and no columns, and the model is still the one-thread model."""

    def make():
        return MLPClassifier(
            hidden_layer_sizes=(2,), batch_size=2, max_iter=2, tol=0.0, random_state=0
        )

    ref, est = _fit_both(team, make, 3, X[:31], Y_CLF[:31])
    _assert_same_model(ref, est)


def test_team_partial_fit_and_warm_start(team):
    def run(n):
        with threadpool_limits(limits=1):
            team(n)
            est = MLPClassifier(hidden_layer_sizes=(20,), batch_size=30, random_state=0)
            for start in range(0, 300, 100):
                est.partial_fit(
                    X[start : start + 100], Y_CLF[start : start + 100], classes=[0, 1, 2]
                )
            est.set_params(warm_start=True, max_iter=2, tol=0.0)
            return est.fit(X, Y_CLF)

    _assert_same_model(run(1), run(2))


@pytest.mark.parametrize("n_threads", [2, 3])
@pytest.mark.parametrize("sparse", [False, True])
def test_team_predict_equals_one_thread(team, n_threads, sparse):
    with threadpool_limits(limits=1):
        team(1)
        est = MLPClassifier(hidden_layer_sizes=(20, 10), max_iter=3, random_state=0)
        est.fit(X, Y_CLF)
        Xp = sp.csr_matrix(X) if sparse else X
        ref = est.predict_proba(Xp)
        team(n_threads)
        proba = est.predict_proba(Xp)
    assert_allclose(proba, ref, rtol=1e-13, atol=1e-15)
    # and both are the network's output, not merely equal to each other
    assert_allclose(proba, predict_proba(est, X), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize(
    "bad, message",
    [
        (np.nan, "Input X contains NaN"),
        (np.inf, "Input X contains infinity"),
        (-np.inf, "Input X contains infinity"),
    ],
)
@pytest.mark.parametrize("where", ["first", "last"])
@pytest.mark.parametrize("sparse", [False, True])
def test_predict_finds_nan_and_infinity_in_every_chunk(
    team, monkeypatch, n_threads, bad, message, where, sparse
):
    """Prediction checks X for NaN/infinity chunk by chunk as it goes; a bad value
    in the first or the last chunk raises scikit-learn's own error."""
    import fastmlp._multilayer_perceptron as mlp

    est = MLPRegressor(hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    est.fit(X, Y_REG)
    Xbig = np.tile(X, (40, 1))  # 12000 rows in chunks of 100
    monkeypatch.setattr(mlp, "_PREDICT_CHUNK_BYTES", 100 * X.shape[1] * 8)
    Xbig[0 if where == "first" else -1, 5] = bad
    team(n_threads)
    with pytest.raises(ValueError, match=message):
        est.predict(sp.csr_matrix(Xbig) if sparse else Xbig)


def test_blas_threads_restored_after_a_team(team):
    def blas_threads():
        return sorted(
            i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"
        )

    with threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads()
        team(2)
        est = MLPClassifier(hidden_layer_sizes=(10,), max_iter=2, random_state=0)
        est.fit(X, Y_CLF)
        est.predict(X)
        assert blas_threads() == before
    assert before == [2] * len(before)


def test_team_size_follows_blas_limit_and_work():
    flops = 1e12
    with threadpool_limits(limits=1, user_api="blas"):
        assert _threads.team_size(10_000, flops) == 1
    with threadpool_limits(limits=2, user_api="blas"):
        expected = min(2, len(os.sched_getaffinity(0)))
        assert _threads.team_size(10_000, flops) == expected
        # too little work per thread: one thread
        assert _threads.team_size(10_000, _threads.MIN_FLOPS_PER_THREAD) == 1
        assert _threads.team_size(_threads.MIN_ROWS_PER_THREAD, flops) == 1


def test_hold_is_shared_by_concurrent_holders():
    with threadpool_limits(limits=2, user_api="blas"):
        assert _threads.blas.allowed() == 2
        outer = _threads.hold(2)
        outer.__enter__()
        try:
            assert _threads.blas.allowed() == 2  # the user's setting, not the hold's
            with _threads.hold(2):
                pass
            # the inner holder left, the outer one still holds BLAS at one thread
            info = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
            assert info == [1] * len(info)
        finally:
            outer.__exit__(None, None, None)
        info = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
        assert info == [2] * len(info)


def _blas_counts():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def _fit_in_thread(run, make):
    """Fit make() in another Python thread started by `run(fn) -> result`."""
    errors = []

    def work():
        try:
            make().fit(X, Y_CLF)
        except BaseException as exc:  # re-raised in the test's thread
            errors.append(exc)

    run(work)
    if errors:
        raise errors[0]


def _in_new_thread(fn):
    thread = threading.Thread(target=fn)
    thread.start()
    thread.join()


def _small_fit():
    return MLPClassifier(
        hidden_layer_sizes=(30,), batch_size=20, max_iter=2, tol=0.0, random_state=0
    )


def test_team_holds_blas_from_a_worker_thread(team, monkeypatch):
    """A team fit in a Python thread other than the one that set the BLAS limit
    still runs with BLAS at one thread (an OpenBLAS thread pool set through
    threadpoolctl >= 3.8 takes a setting from one Python thread only), and the
    user's setting is back afterwards."""
    from fastmlp._kernels import _engine

    seen = []
    train_epoch = _engine.train_epoch

    def spy(*args):
        seen.append(_blas_counts())
        return train_epoch(*args)

    monkeypatch.setattr(_engine, "train_epoch", spy)
    team(2)
    with threadpool_limits(limits=2, user_api="blas"):  # this thread sets the limit
        _fit_in_thread(_in_new_thread, _small_fit)
        assert _blas_counts() == [2] * len(_blas_counts())
    assert len(seen) == 2
    assert all(counts == [1] * len(counts) for counts in seen), seen


def test_team_in_a_worker_thread_leaves_the_limit_to_the_user(team):
    """A team fit in a long-lived worker thread (a thread pool's) must not keep
    the user's own thread from setting BLAS limits afterwards."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import OpenBLASController

    if hasattr(OpenBLASController, "clear_controlling_thread"):
        OpenBLASController.clear_controlling_thread(force=True)
    team(2)
    with ThreadPoolExecutor(max_workers=1) as pool:
        _fit_in_thread(lambda fn: pool.submit(fn).result(), _small_fit)
        with threadpool_limits(limits=1, user_api="blas"):
            assert _blas_counts() == [1] * len(_blas_counts())
        with threadpool_limits(limits=2, user_api="blas"):
            assert _blas_counts() == [2] * len(_blas_counts())


def test_two_team_fits_in_two_python_threads(team):
    """Two fits, each on a team of two threads, from two Python threads at once,
    equal the same fit made alone (identical estimators on purpose: only the
    concurrency -- the second fit cutting the running team to one thread --
    may change anything)."""
    team(2)

    def make():
        return MLPClassifier(
            hidden_layer_sizes=(30,), batch_size=20, max_iter=5, tol=0.0, random_state=0
        )

    serial = make().fit(X, Y_CLF)
    results = [None, None]

    def work(i):
        results[i] = make().fit(X, Y_CLF)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for est in results:
        _assert_same_model(serial, est)


def _fit_in_child(seed):
    from fastmlp import _threads as child_threads

    child_threads.team_size = lambda rows, flops: 2
    est = MLPClassifier(
        hidden_layer_sizes=(30,), batch_size=20, max_iter=3, tol=0.0, random_state=seed
    ).fit(X, Y_CLF)
    return est.coefs_[0].tolist()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_fork_after_a_team_fit(team):
    """No thread outlives a call, so a process forked after a team fit can run
    teams itself (a persistent thread pool would hang the child); the child's
    fit is the parent's identical fit, so the child's team computed correctly."""
    import multiprocessing

    team(2)
    parent = MLPClassifier(
        hidden_layer_sizes=(30,), batch_size=20, max_iter=3, tol=0.0, random_state=0
    ).fit(X, Y_CLF)
    parent.predict_proba(X)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        coefs = pool.map_async(_fit_in_child, [0, 1]).get(timeout=120)
    assert_allclose(np.asarray(coefs[0]), parent.coefs_[0], rtol=RTOL, atol=1e-13)


@pytest.mark.parametrize("case", ["adam", "dropout", "l1"])
def test_team_going_solo_mid_epoch(team, monkeypatch, case):
    """When another fit or prediction starts in the process, a running team goes
    on as its first thread alone from the next batch; the model stays the same."""
    from fastmlp._kernels import _engine

    def make():
        return MLPClassifier(
            hidden_layer_sizes=(17, 9),
            batch_size=20,
            max_iter=3,
            tol=0.0,
            random_state=0,
            **{"alpha": 1e-3, **CASES[case]},
        )

    with threadpool_limits(limits=1):
        team(1)
        ref = make().fit(X, Y_CLF)
        team(2)
        set_crowded = _engine.set_crowded
        set_crowded(True)  # as if another Python thread were fitting
        monkeypatch.setattr(_engine, "set_crowded", lambda crowded: None)
        try:
            est = make().fit(X, Y_CLF)
        finally:
            set_crowded(False)
    _assert_same_model(ref, est)


# The full-batch objective (L-BFGS, validation loss) cuts its rows into chunks
# whose gradients go to a fixed number of slots, summed in slot order; these
# rows are enough for all eight slots.
_rng_big = np.random.RandomState(1)
X_BIG = _rng_big.randn(2100, 12)
Y_BIG_CLF = (X_BIG[:, 0] + X_BIG[:, 2] > 0).astype(int) + (X_BIG[:, 3] > 1)
Y_BIG_REG = np.c_[X_BIG[:, 0] - 2 * X_BIG[:, 1], np.sin(X_BIG[:, 2])]
SW_BIG = _rng_big.uniform(0.2, 3.0, 2100)


def _objective(est, X, Y, sw, chunk, n_threads):
    """(objective, data loss, gradient) of est's network at its parameters."""
    from fastmlp._kernels import _engine

    layout = est._network_layout()
    spec = est._net_spec(layout, dropout=False)
    dtype = est._params.dtype
    grad = np.empty(layout.n_params, dtype=dtype)
    value, data_loss = _engine.loss_grad(
        _engine.Network(spec, est._params),
        _engine.Dataset(X, dtype, Y, sw),
        grad,
        chunk,
        n_threads,
    )
    return value, data_loss, grad


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_full_batch_objective_on_a_team(sparse, dtype):
    X = X_BIG.astype(dtype)
    X = sp.csr_matrix(np.where(np.abs(X) > 0.8, X, 0)) if sparse else X
    Y = np.eye(3)[Y_BIG_CLF]
    est = MLPClassifier(
        hidden_layer_sizes=(17, 9), solver="lbfgs", max_iter=3, alpha=1e-3, random_state=0
    ).fit(X, Y_BIG_CLF)
    n = X.shape[0]
    ref = _objective(est, X, Y, SW_BIG, n, 1)
    # any team size: the same numbers, bit for bit
    for n_threads in (2, 3, 8):
        got = _objective(est, X, Y, SW_BIG, n, n_threads)
        assert got[:2] == ref[:2]
        np.testing.assert_array_equal(got[2], ref[2])
    # another cut of the rows: the same sums up to rounding
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    for chunk in (37, 300):
        got = _objective(est, X, Y, SW_BIG, chunk, 2)
        assert_allclose(got[:2], ref[:2], rtol=rtol)
        assert_allclose(got[2], ref[2], rtol=rtol, atol=rtol * np.abs(ref[2]).max())

    # every row counted once: without a penalty, the objective of all rows is the
    # weighted mean of those of row parts small enough to be a single chunk
    est.set_params(alpha=0.0)
    whole = _objective(est, X, Y, SW_BIG, n, 2)
    parts = [slice(k, min(k + 200, n)) for k in range(0, n, 200)]
    weights = np.array([SW_BIG[p].sum() for p in parts])
    pieces = [_objective(est, X[p], Y[p], SW_BIG[p], n, 1) for p in parts]
    assert_allclose(
        whole[0], weights @ [v for v, _, _ in pieces] / weights.sum(), rtol=rtol
    )
    grad = sum(w * g.astype(np.float64) for w, (_, _, g) in zip(weights, pieces))
    assert_allclose(
        whole[2],
        grad / weights.sum(),
        rtol=10 * rtol,
        atol=10 * rtol * np.abs(grad / weights.sum()).max(),
    )


@pytest.mark.parametrize("n_threads", [2, 3])
@pytest.mark.parametrize(
    "Est,y", [(MLPClassifier, Y_BIG_CLF), (MLPRegressor, Y_BIG_REG)], ids=["clf", "reg"]
)
def test_lbfgs_team_fit_equals_one_thread(team, Est, y, n_threads):
    def make():
        return Est(
            hidden_layer_sizes=(17, 9),
            solver="lbfgs",
            max_iter=15,
            alpha=1e-3,
            random_state=0,
        )

    ref, est = _fit_both(team, make, n_threads, X_BIG, y, sample_weight=SW_BIG)
    for a, b in zip(_params(ref), _params(est)):
        np.testing.assert_array_equal(b, a)
    assert est.loss_ == ref.loss_
    assert est.n_iter_ == ref.n_iter_


def test_lbfgs_holds_blas_and_uses_the_team(team, monkeypatch):
    """An L-BFGS fit calls the objective with the team's size, BLAS held at one
    thread meanwhile."""
    from fastmlp._kernels import _engine

    calls = []
    loss_grad = _engine.loss_grad

    def spy(*args):
        calls.append((args[-1], _blas_counts()))
        return loss_grad(*args)

    monkeypatch.setattr(_engine, "loss_grad", spy)
    team(2)
    with threadpool_limits(limits=2, user_api="blas"):
        MLPClassifier(
            hidden_layer_sizes=(17,), solver="lbfgs", max_iter=5, random_state=0
        ).fit(X_BIG, Y_BIG_CLF)
    assert calls
    assert all(
        n_threads == 2 and counts == [1] * len(counts) for n_threads, counts in calls
    ), calls


# ----------------------------------------------------------------------
# The team's threads, as the operating system sees them
# ----------------------------------------------------------------------
# Everything above holds for any team size, a team of one included, so it would
# all pass if the team silently ran on one thread.  These tests look at the
# native threads of the process (/proc/self/task) while a fit or a prediction
# runs, with the team size left to fastmlp (BLAS allowed two threads): a
# thread that did not exist before the call must appear, and must do a share of
# the arithmetic comparable to the calling thread's.  Cutting the team to one
# thread anywhere (team_size or session in _threads.py, the engine's team start)
# leaves no such thread.  BLAS keeps its own worker threads, started before the
# observation and so not counted; the team's threads live for one call.

_PROC_TASKS = "/proc/self/task"
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _threads_cpu():
    """{native thread id: (name, CPU seconds used)} of the threads of this process."""
    threads = {}
    for tid in os.listdir(_PROC_TASKS):
        try:
            with open(f"{_PROC_TASKS}/{tid}/stat") as f:
                stat = f.read()
        except OSError:  # the thread ended meanwhile
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        threads[int(tid)] = (
            name,
            (int(fields[11]) + int(fields[12])) / _TICKS,
        )  # utime+stime
    return threads


class _NewThreads:
    """Native threads that appear while the block runs, sampled every 2 ms from
    another Python thread: the most alive at once, and the CPU seconds they had
    used when last seen (their sum); `caller_cpu` is the CPU time of the thread
    running the block.  Only unnamed threads count (a thread created by the
    engine carries the name of the thread that created it; threads of other
    libraries, such as an allocator's background thread, name themselves)."""

    def __enter__(self):
        before = _threads_cpu()
        self._name = before[threading.get_native_id()][0]
        self._before = set(before)
        self._cpu = {}
        self.max_alive = 0
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch)
        self._watcher.start()
        self._caller0 = time.thread_time()
        return self

    def _watch(self):
        me = threading.get_native_id()
        while not self._stop.is_set():
            new = {
                tid: cpu
                for tid, (name, cpu) in _threads_cpu().items()
                if tid not in self._before and tid != me and name == self._name
            }
            self.max_alive = max(self.max_alive, len(new))
            for tid, cpu in new.items():
                self._cpu[tid] = max(cpu, self._cpu.get(tid, 0.0))
            time.sleep(0.002)

    def __exit__(self, *exc):
        self.caller_cpu = time.thread_time() - self._caller0
        self._stop.set()
        self._watcher.join()
        self.n_threads = len(self._cpu)
        self.cpu = sum(self._cpu.values())

    def __str__(self):
        return (
            f"{self.n_threads} new threads (at most {self.max_alive} at once) used "
            f"{self.cpu:.2f} CPU s, the calling thread {self.caller_cpu:.2f} CPU s"
        )


_needs_proc = pytest.mark.skipif(
    not os.path.isdir(_PROC_TASKS), reason="needs /proc/self/task (Linux)"
)
_needs_two_cpus = pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="needs two CPUs",
)

_rng_w = np.random.RandomState(2)
X_WORK = _rng_w.randn(20000, 100)
Y_WORK = (X_WORK[:, 0] + X_WORK[:, 1] > 0).astype(int) + (X_WORK[:, 2] > 1)
X_WORK_CSR = sp.random(20000, 2000, density=0.01, format="csr", random_state=2)


def _warm_up():
    """Start whatever threads the libraries start on first use (BLAS thread pools
    of both BLAS libraries at two threads, fastmlp's first fit and prediction),
    so that the threads appearing later are the team's."""
    import scipy.linalg

    a = _rng_w.randn(300, 300)
    a @ a
    scipy.linalg.blas.dgemm(1.0, a, a)
    est = MLPClassifier(
        hidden_layer_sizes=(64,), batch_size=100, max_iter=1, random_state=0
    ).fit(X_WORK[:1000], Y_WORK[:1000])
    est.predict_proba(X_WORK[:1000])
    return est


# Fits and predictions whose batches, or chunks of rows, are worth far more
# than the team's thresholds (_threads.MIN_FLOPS_PER_THREAD, MIN_ROWS_PER_THREAD).
WORK = {
    "adam-epochs": lambda: (
        MLPClassifier(
            hidden_layer_sizes=(256,), batch_size=200, max_iter=5, tol=0.0, random_state=0
        ).fit,
        X_WORK,
        Y_WORK,
    ),
    "sgd-epochs-csr": lambda: (
        MLPClassifier(
            hidden_layer_sizes=(256,),
            solver="sgd",
            batch_size=200,
            max_iter=3,
            tol=0.0,
            random_state=0,
        ).fit,
        X_WORK_CSR,
        Y_WORK,
    ),
    "lbfgs-objective": lambda: (
        MLPRegressor(
            hidden_layer_sizes=(256,), solver="lbfgs", max_iter=8, random_state=0
        ).fit,
        X_WORK,
        X_WORK[:, 0],
    ),
    "predict": lambda: (
        MLPClassifier(hidden_layer_sizes=(256, 128), max_iter=1, random_state=0)
        .fit(X_WORK[:2000], Y_WORK[:2000])
        .predict_proba,
        np.tile(X_WORK, (4, 1)),
    ),
    "predict-csr": lambda: (
        MLPClassifier(hidden_layer_sizes=(256, 128), max_iter=1, random_state=0)
        .fit(X_WORK_CSR[:2000], Y_WORK[:2000])
        .predict_proba,
        sp.vstack([X_WORK_CSR] * 4),
    ),
}


@_needs_proc
@_needs_two_cpus
@pytest.mark.parametrize("work", list(WORK))
def test_team_runs_on_two_native_threads(work, monkeypatch):
    """With BLAS allowed two threads, an epoch, the L-BFGS objective and a
    prediction each run on the calling thread plus one native thread started for
    the call (a team of two, no larger), which does a share of the work
    comparable to the calling thread's: the CPU time it used is at least a
    quarter of the caller's (about equal when the two run side by side).  The
    team size is fastmlp's, unmeasured (measured, a loaded machine may rightly
    choose one thread); a share below that is excused (skipped) when the
    process did not have both CPUs (the second thread then takes fewer chunks)."""
    own_size = _threads.team_size
    monkeypatch.setattr(_threads, "team_size", lambda rows, flops: own_size(rows, flops))
    with threadpool_limits(limits=2, user_api="blas"):
        _warm_up()
        call, *args = WORK[work]()
        start = time.perf_counter()
        with _NewThreads() as seen:
            call(*args)
        wall = time.perf_counter() - start
    print(f"\n{work}: {seen}, {wall:.2f} s")
    assert seen.max_alive == 1, seen
    share = seen.cpu >= max(0.25 * seen.caller_cpu, 0.03)
    if not share and seen.cpu + seen.caller_cpu < 1.5 * wall:
        pytest.skip(f"other load kept the team off its CPUs ({seen}, {wall:.2f} s)")
    assert share, seen


@_needs_proc
def test_no_team_when_blas_is_limited_to_one_thread():
    """threadpool_limits(limits=1) makes training and prediction single-threaded:
    no thread is started."""
    with threadpool_limits(limits=1, user_api="blas"):
        est = _warm_up()
        with _NewThreads() as seen:
            MLPClassifier(
                hidden_layer_sizes=(256,), batch_size=200, max_iter=1, random_state=0
            ).fit(X_WORK, Y_WORK)
            est.predict_proba(X_WORK)
            MLPRegressor(
                hidden_layer_sizes=(256,), solver="lbfgs", max_iter=2, random_state=0
            ).fit(X_WORK, X_WORK[:, 0])
    assert seen.n_threads == 0, seen
