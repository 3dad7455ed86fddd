"""fastmlp scales out on Dask.

(a) ``GridSearchCV(fastmlp.MLPClassifier(...), n_jobs=-1)`` under
    ``joblib.parallel_backend('dask')`` on a ``distributed.LocalCluster`` of worker
    processes gives the same search as the local run;
(b) dask-ml's ``Incremental`` trains fastmlp through ``partial_fit`` over a chunked dask
    array exactly as the same ``partial_fit`` calls made by hand on the numpy chunks,
    and ``ParallelPostFit`` predicts on a dask array as fastmlp does on numpy.

BLAS inside the workers runs one thread per worker thread (no oversubscription of the
cores); that is checked inside the workers with threadpoolctl.

One two-process cluster is shared by the module (its start-up dominates the run time).
The tests are marked ``dask`` and run in the normal ``pytest`` run; they are skipped
when dask / distributed (or, for (b), dask-ml) are not installed: ``pip install
".[dask]"``.
"""

import logging
import os
from contextlib import contextmanager

import numpy as np
import pytest
from _optional import import_or_skip
from numpy.testing import assert_array_equal

dask = import_or_skip("dask")
da = import_or_skip("dask.array")
distributed = import_or_skip("distributed")

import joblib
from distributed import Client, LocalCluster, WorkerPlugin, get_task_stream
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.utils import check_random_state

from fastmlp import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.dask

N_WORKERS = 2
# Set in the environment the worker processes are spawned with, so that every BLAS /
# OpenMP runtime they load starts with one thread.
BLAS_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class LimitBLASThreads(WorkerPlugin):
    """Limit the BLAS thread pools of every worker process (threadpoolctl).

    The same recipe as in examples/scaling_out_dask.py. It also holds when the
    environment the workers start with asks for more threads (then OpenMP runtimes
    loaded later are not covered; fastmlp itself calls only SciPy's BLAS).
    """

    name = "limit-blas-threads"

    def __init__(self, n_threads=1):
        self.n_threads = n_threads

    def setup(self, worker):
        import scipy.linalg  # noqa: F401  loads the BLAS that fastmlp calls
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=self.n_threads, user_api="blas")


def _thread_pools():
    """(user_api, internal_api, num_threads) of every thread pool of this process,
    as seen from the calling thread, after fastmlp (hence SciPy's BLAS) is loaded."""
    from threadpoolctl import threadpool_info

    import fastmlp  # noqa: F401

    return [(p["user_api"], p["internal_api"], p["num_threads"]) for p in threadpool_info()]


_ENV_AT_IMPORT = {k: os.environ.get(k) for k in BLAS_ENV}


@contextmanager
def _environment_restored():
    """Give the test process its environment back afterwards.

    distributed's Nanny writes its pre-spawn variables (OMP_NUM_THREADS, ...) into the
    environment of the process that starts the workers, at every (re)start of one.
    """
    saved = os.environ.copy()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _local_cluster(n_workers, env):
    # Variables already set in this process take precedence over distributed's
    # pre-spawn configuration: set ours in both, for the spawn only.
    with (
        _environment_restored(),
        dask.config.set({"distributed.nanny.pre-spawn-environ": dict(env)}),
    ):
        os.environ.update(env)
        return LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            # No dashboard; the scheduler's HTTP endpoints on a free port, not 8787.
            scheduler_kwargs={"dashboard_address": ":0"},
            silence_logs=logging.ERROR,
        )


@pytest.fixture(scope="module")
def client():
    with _environment_restored():
        cluster = _local_cluster(N_WORKERS, BLAS_ENV)
        try:
            with Client(cluster) as c:
                c.register_plugin(LimitBLASThreads(1))
                yield c
        finally:
            cluster.close()


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def _workers_that_ran(task_stream):
    return {t["worker"] for t in task_stream.data}


# --------------------------------------------------------------------------- cluster
def test_cluster_is_worker_processes(client):
    assert list(client.nthreads().values()) == [1] * N_WORKERS
    pids = set(client.run(os.getpid).values())
    assert len(pids) == N_WORKERS and os.getpid() not in pids


def test_blas_is_single_threaded_in_workers(client):
    # Inside a task (a worker's executor thread, where fits run) and on each worker's
    # main thread: every thread pool that is loaded runs one thread.
    futures = [
        client.submit(_thread_pools, pure=False, workers=[w]) for w in client.nthreads()
    ]
    seen = client.gather(futures) + list(client.run(_thread_pools).values())
    for pools in seen:
        assert any(api == "blas" for api, _, _ in pools), pools  # SciPy's OpenBLAS
        assert all(n == 1 for _, _, n in pools), pools
    env = client.run(lambda: {k: os.environ.get(k) for k in BLAS_ENV})
    assert all(e == BLAS_ENV for e in env.values())
    # ... while the test process keeps its own environment and thread pools.
    for k in BLAS_ENV:
        assert os.environ.get(k) == _ENV_AT_IMPORT[k]


def test_plugin_limits_blas_when_environment_asks_for_more():
    # A worker spawned with OPENBLAS_NUM_THREADS=2 / OMP_NUM_THREADS=2 runs a 2-thread
    # BLAS; the worker plugin brings it down to one thread, also for new workers.
    env = {"OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}
    with _environment_restored():
        cluster = _local_cluster(1, env)
        try:
            with Client(cluster, set_as_default=False) as c:

                def blas_threads():
                    pools = c.submit(_thread_pools, pure=False).result()
                    return [n for api, _, n in pools if api == "blas"]

                assert blas_threads() and max(blas_threads()) == 2
                c.register_plugin(LimitBLASThreads(1))
                assert set(blas_threads()) == {1}
                c.restart()  # a new worker process gets the plugin too
                assert set(blas_threads()) == {1}
        finally:
            cluster.close()


# ------------------------------------------------------------------ (a) GridSearchCV
def test_grid_search_on_dask_matches_local_run(client, digits):
    X, y = digits
    est = MLPClassifier(max_iter=15, batch_size=64, random_state=0)
    grid = {
        "hidden_layer_sizes": [(16,), (32,)],
        "alpha": [1e-4, 1e-1],
        "solver": ["adam", "sgd"],
    }
    cv = StratifiedKFold(3, shuffle=True, random_state=0)

    def search(n_jobs):
        return GridSearchCV(est, grid, cv=cv, n_jobs=n_jobs).fit(X, y)

    serial = search(1)
    local = search(-1)  # joblib's default (loky) process pool on this machine
    with get_task_stream(client) as ts, joblib.parallel_backend("dask"):
        remote = search(-1)
    # The fits ran as tasks on both worker processes.
    assert _workers_that_ran(ts) == set(client.nthreads())

    for other in (local, serial):
        assert remote.best_params_ == other.best_params_
        assert remote.best_index_ == other.best_index_
        for key in ["mean_test_score", "std_test_score", "rank_test_score"] + [
            f"split{i}_test_score" for i in range(3)
        ]:
            assert_array_equal(remote.cv_results_[key], other.cv_results_[key], err_msg=key)
        assert list(remote.cv_results_["params"]) == list(other.cv_results_["params"])
        for a, b in zip(
            remote.best_estimator_.coefs_ + remote.best_estimator_.intercepts_,
            other.best_estimator_.coefs_ + other.best_estimator_.intercepts_,
        ):
            assert_array_equal(a, b)
    assert remote.best_score_ == local.best_score_
    # Not a degenerate search: the candidates score differently.
    assert len(set(remote.cv_results_["mean_test_score"])) > 1


def test_model_selection_waves_are_dask_tasks(client, digits):
    # fastmlp.model_selection's search under the Dask backend: one task per fold
    # (a wave of models trained together), the same results as its local run and
    # as scikit-learn's own search of the same estimator.
    from sklearn.model_selection import GridSearchCV as SkGridSearchCV

    from fastmlp.model_selection import GridSearchCV as FastGridSearchCV

    X, y = digits
    est = MLPClassifier(max_iter=10, batch_size=64, random_state=0)
    grid = {"hidden_layer_sizes": [(16,), (32,)], "alpha": [1e-4, 1e-1]}
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    with get_task_stream(client) as ts, joblib.parallel_backend("dask"):
        remote = FastGridSearchCV(est, grid, cv=cv).fit(X, y)
    assert _workers_that_ran(ts) == set(client.nthreads())
    local = FastGridSearchCV(est, grid, cv=cv).fit(X, y)
    reference = SkGridSearchCV(est, grid, cv=cv).fit(X, y)
    for other in (local, reference):
        assert remote.best_index_ == other.best_index_
        for key in ["mean_test_score", "std_test_score", "rank_test_score"] + [
            f"split{i}_test_score" for i in range(3)
        ]:
            assert_array_equal(remote.cv_results_[key], other.cv_results_[key], err_msg=key)
        assert_array_equal(
            remote.best_estimator_.coefs_[0], other.best_estimator_.coefs_[0]
        )


# -------------------------------------------------------------------- (b) dask-ml
def _assert_same_state(a, b):
    for p, q in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        assert p.dtype == q.dtype
        assert_array_equal(p, q)
    assert a.n_iter_ == b.n_iter_
    assert a.t_ == b.t_
    assert a.loss_curve_ == b.loss_curve_
    assert_array_equal(a.classes_, b.classes_)


@pytest.mark.parametrize("solver, shuffle_blocks", [("adam", False), ("sgd", True)])
def test_incremental_equals_partial_fit_by_hand(client, digits, solver, shuffle_blocks):
    wrappers = import_or_skip("dask_ml.wrappers")
    X, y = digits
    chunk = 300
    Xd = da.from_array(X, chunks=(chunk, -1))
    yd = da.from_array(y, chunks=chunk)
    classes = np.unique(y)
    params = dict(
        hidden_layer_sizes=(32,),
        solver=solver,
        batch_size=50,
        learning_rate_init=0.01,
        random_state=0,
    )

    inc = wrappers.Incremental(
        MLPClassifier(**params), shuffle_blocks=shuffle_blocks, random_state=7
    )
    with get_task_stream(client) as ts:
        inc.fit(Xd, yd, classes=classes)  # first pass over the blocks
        inc.partial_fit(Xd, yd, classes=classes)  # second pass, continues estimator_
    assert any("fit-" in str(t["key"]) for t in ts.data)  # dask-ml's partial_fit chain
    assert isinstance(inc.estimator_, MLPClassifier)

    # The same partial_fit calls by hand, on the numpy chunks, in dask-ml's block order.
    bounds = np.cumsum((0,) + Xd.chunks[0])
    # (an int random_state gives every pass dask-ml's same shuffled order)
    by_hand = MLPClassifier(**params)
    for _ in range(2):
        order = list(range(Xd.numblocks[0]))
        if shuffle_blocks:
            check_random_state(7).shuffle(order)
            assert order != sorted(order)
        for i in order:
            sl = slice(bounds[i], bounds[i + 1])
            by_hand.partial_fit(X[sl], y[sl], classes=classes)
    assert len(by_hand.loss_curve_) == 2 * Xd.numblocks[0]
    _assert_same_state(inc.estimator_, by_hand)

    # Incremental is a ParallelPostFit too: blockwise predictions on the dask array.
    pred = inc.predict(Xd)
    assert isinstance(pred, da.Array)
    assert_array_equal(pred.compute(), by_hand.predict(X))
    assert inc.score(Xd, yd) == pytest.approx(by_hand.score(X, y), abs=1e-12)


def test_parallel_post_fit_predicts_on_dask_arrays(client, digits):
    wrappers = import_or_skip("dask_ml.wrappers")
    X, y = digits
    Xd = da.from_array(X, chunks=(256, -1))

    clf = wrappers.ParallelPostFit(
        MLPClassifier(hidden_layer_sizes=(32,), max_iter=30, random_state=0)
    )
    clf.fit(X, y)  # in memory, in this process
    fitted = clf.estimator
    with get_task_stream(client) as ts:
        pred, proba = dask.compute(clf.predict(Xd), clf.predict_proba(Xd))
    assert len(_workers_that_ran(ts)) >= 1 and len(ts.data) >= Xd.numblocks[0]
    assert_array_equal(pred, fitted.predict(X))
    assert_array_equal(pred, clf.predict(X))  # numpy input: plain numpy result
    np.testing.assert_allclose(proba, fitted.predict_proba(X), rtol=1e-12, atol=1e-15)
    assert pred.dtype == fitted.predict(X).dtype and proba.shape == (len(X), 10)
    assert clf.score(Xd, da.from_array(y, chunks=256)) == pytest.approx(fitted.score(X, y))

    # float32 and a regressor: the same holds.
    X32 = X.astype(np.float32)
    reg = wrappers.ParallelPostFit(
        MLPRegressor(hidden_layer_sizes=(16,), max_iter=30, random_state=0)
    )
    reg.fit(X32, y.astype(np.float32))
    out = reg.predict(da.from_array(X32, chunks=(500, -1))).compute()
    assert out.dtype == np.float32 and out.shape == (len(X),)
    np.testing.assert_allclose(out, reg.estimator.predict(X32), rtol=1e-6, atol=1e-6)
