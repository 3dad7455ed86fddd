"""
Scaling out with Dask
=====================

A grid search on a cluster, training over chunked data with
``partial_fit``, and blockwise prediction.

Needs Dask's distributed scheduler and dask-ml
(``pip install "dask[distributed]" dask-ml``). Run it as a script::

    python scaling_out_dask.py            # a local cluster: 2 processes
    python scaling_out_dask.py --full     # 1,000,000 rows to train on
    python scaling_out_dask.py --scheduler tcp://HOST:8786   # your cluster

(``--quick``: a few seconds), or as a notebook.

fastmlp needs no Dask-specific code: its estimators are plain scikit-learn
estimators, so

1. ``GridSearchCV(..., n_jobs=-1)`` under ``joblib.parallel_backend("dask")``
   sends its fits to the Dask workers (the same search, the same
   ``best_params_``, as a local run);
2. dask-ml's ``Incremental`` feeds the blocks of a dask array, one after the
   other, to ``MLPClassifier.partial_fit`` (pass ``classes=``); the data never
   has to fit in one process;
3. dask-ml's ``ParallelPostFit`` (which ``Incremental`` is too) predicts block
   by block on the workers.

BLAS threads: a worker process runs one task per worker thread, and every
task's BLAS would otherwise start as many threads as there are cores,
oversubscribing them. distributed's nanny starts worker processes with
OMP_NUM_THREADS=1, OPENBLAS_NUM_THREADS=1 and MKL_NUM_THREADS=1 (its
``distributed.nanny.pre-spawn-environ`` setting), unless those variables are
set in the environment that starts the workers; the ``LimitBLASThreads``
worker plugin below enforces one BLAS thread per worker thread whatever that
environment says, on every worker, also after a restart.
"""

import argparse
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np

try:
    import dask
    import dask.array as da
    import joblib
    from dask_ml.datasets import make_classification
    from dask_ml.wrappers import Incremental, ParallelPostFit
    from distributed import Client, LocalCluster, WorkerPlugin
except ImportError as exc:  # pragma: no cover - message for a user
    raise SystemExit(
        f"{exc}\nthis example needs: pip install 'dask[distributed]' dask-ml"
    ) from exc
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import fastmlp

# %%
# One BLAS thread per worker thread
# ---------------------------------


class LimitBLASThreads(WorkerPlugin):
    """Limit the BLAS thread pools of each worker process to ``n_threads``
    threads."""

    name = "limit-blas-threads"

    def __init__(self, n_threads=1):
        self.n_threads = n_threads

    def setup(self, worker):
        import scipy.linalg  # noqa: F401  loads the BLAS that fastmlp calls
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=self.n_threads, user_api="blas")


def blas_threads():
    """{BLAS library: threads} for the libraries loaded in this process (run
    on a worker)."""
    import os

    from threadpoolctl import threadpool_info

    import fastmlp  # noqa: F401

    return {
        os.path.basename(p["filepath"]): p["num_threads"]
        for p in threadpool_info()
        if p["user_api"] == "blas"
    }


def ignore_convergence_warnings():
    """Short runs here stop at max_iter on purpose (run on each worker)."""
    warnings.simplefilter("ignore", ConvergenceWarning)


# %%
# 1. A grid search whose fits run on the workers
# ----------------------------------------------
# Under ``joblib.parallel_backend("dask")`` scikit-learn's ``GridSearchCV``
# sends its fits to the cluster. The same search run in this process gives the
# same result.


def grid_search(client, size):
    X, y = load_digits(return_X_y=True)
    model = make_pipeline(
        StandardScaler(),
        fastmlp.MLPClassifier(
            max_iter=15 if size == "quick" else 50,
            batch_size=64,
            random_state=0,
        ),
    )
    grid = {
        "mlpclassifier__hidden_layer_sizes": [(32,), (64,)]
        if size == "quick"
        else [(32,), (64,), (64, 32)],
        "mlpclassifier__alpha": [1e-4, 1e-1]
        if size == "quick"
        else [1e-4, 1e-2, 1e-1],
    }
    start = time.perf_counter()
    with joblib.parallel_backend("dask"):
        search = GridSearchCV(model, grid, cv=3, n_jobs=-1).fit(X, y)
    elapsed = time.perf_counter() - start
    n_fits = 3 * len(search.cv_results_["params"])
    print(
        f"1. GridSearchCV on the cluster: {n_fits} fits + 1 refit "
        f"in {elapsed:.1f} s"
    )
    best = {
        key.split("__")[-1]: value
        for key, value in search.best_params_.items()
    }
    print(f"   best_params_ = {best}")
    print(f"   best_score_  = {search.best_score_:.4f}")

    # The same search in this process, one fit after the other.
    local = GridSearchCV(model, grid, cv=3, n_jobs=1).fit(X, y)
    same = local.best_params_ == search.best_params_ and np.array_equal(
        local.cv_results_["mean_test_score"],
        search.cv_results_["mean_test_score"],
    )
    print(f"   the same best_params_ and scores as run locally: {same}\n")
    return search, same


# %%
# 2. Training over a chunked dask array
# -------------------------------------
# dask-ml's ``Incremental`` hands the blocks, one after the other, to
# ``partial_fit``; the data is generated on the workers and never gathered.


def incremental(client, size):
    n_samples, chunk = {
        "quick": (40_000, 10_000),
        "full": (1_000_000, 50_000),
        "default": (200_000, 25_000),
    }[size]
    # Generated on the workers, block by block: never one array in this
    # process. The last fifth of the blocks is held out for testing.
    X_all, y_all = make_classification(
        n_samples=n_samples * 5 // 4,
        n_features=20,
        n_informative=10,
        chunks=chunk,
        random_state=0,
    )
    X, y = X_all[:n_samples], y_all[:n_samples]
    X_test, y_test = X_all[n_samples:], y_all[n_samples:]
    classes = np.array([0, 1])
    inc = Incremental(
        fastmlp.MLPClassifier(
            hidden_layer_sizes=(64, 32),
            batch_size=256,
            learning_rate_init=1e-3,
            random_state=0,
        ),
        scoring="accuracy",
        shuffle_blocks=True,
        random_state=0,
    )
    passes = {"quick": 2, "full": 5, "default": 3}[size]
    start = time.perf_counter()
    inc.fit(X, y, classes=classes)  # one pass over the blocks
    for _ in range(passes - 1):  # more passes, from estimator_
        inc.partial_fit(X, y, classes=classes)
    elapsed = time.perf_counter() - start
    accuracy = inc.score(X_test, y_test)  # blockwise, on the workers
    print(
        f"2. Incremental: {passes} passes of partial_fit over "
        f"{X.numblocks[0]} blocks of {chunk:,} rows\n"
        f"   ({n_samples:,} x {X.shape[1]}) in {elapsed:.1f} s"
    )
    print(f"   held-out accuracy ({len(y_test):,} rows): {accuracy:.4f}\n")
    return inc, accuracy


# %%
# 3. Blockwise prediction on the workers
# --------------------------------------
# ``ParallelPostFit`` fits on a sample that fits in memory and predicts every
# block of a large dask array on the workers.


def parallel_predict(client, size):
    n_samples = {"quick": 50_000, "full": 2_000_000, "default": 400_000}[size]
    X, y = make_classification(
        n_samples=n_samples,
        n_features=20,
        n_informative=10,
        chunks=n_samples // 10,
        random_state=2,
    )
    # Fit on a sample that fits in memory, predict all of it, blockwise.
    X_small, y_small = dask.compute(X[:10_000], y[:10_000])
    clf = ParallelPostFit(
        fastmlp.MLPClassifier(
            hidden_layer_sizes=(64,), max_iter=30, random_state=0
        )
    )
    clf.fit(X_small, y_small)
    start = time.perf_counter()
    predictions = clf.predict(X)  # a lazy dask array
    accuracy = float(da.mean(predictions == y).compute())
    elapsed = time.perf_counter() - start
    same = np.array_equal(
        predictions[:1000].compute(), clf.predict(X_small[:1000])
    )
    print(
        f"3. ParallelPostFit: predicted {n_samples:,} rows in "
        f"{X.numblocks[0]} blocks in {elapsed:.1f} s\n"
        f"   accuracy {accuracy:.4f}; the same as numpy predictions: "
        f"{same}"
    )
    return accuracy, same


# %%
# Everything on one cluster
# -------------------------


def main(quick=False, full=False, scheduler=None):
    """Run the three parts on a local cluster (or on ``scheduler``); return
    a summary."""
    size = "quick" if quick else "full" if full else "default"
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        client.register_plugin(LimitBLASThreads(1))
        client.run(ignore_convergence_warnings)
        threads = client.run(blas_threads)
        print(
            f"Dask cluster: {len(threads)} worker processes, "
            f"{sum(client.nthreads().values())} threads"
        )
        for address, libs in threads.items():
            print(f"   {address}: BLAS threads:")
            for library, n_threads in libs.items():
                print(f"      {library}: {n_threads}")
        print()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            search, same_search = grid_search(client, size)
            _, inc_accuracy = incremental(client, size)
            ppf_accuracy, same_predictions = parallel_predict(client, size)
        return {
            "best_params": search.best_params_,
            "best_score": search.best_score_,
            "same_as_local_search": same_search,
            "incremental_accuracy": inc_accuracy,
            "parallel_post_fit_accuracy": ppf_accuracy,
            "same_predictions": same_predictions,
            "blas_threads": threads,
            "cv_results": search.cv_results_,
        }
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# %%
# Run it
# ------
# The output lists each worker's BLAS threads (one), then the three parts.

if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description="Scale fastmlp out with Dask."
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--quick",
        action="store_true",
        help="smaller data and fewer iterations (seconds)",
    )
    size.add_argument(
        "--full",
        action="store_true",
        help="1,000,000 rows to train on, 2,000,000 to predict",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        help="address of a running Dask scheduler (default: "
        "a local cluster of 2 worker processes)",
    )
    # parse_known_args: a notebook's kernel passes arguments of its own.
    args = parser.parse_known_args()[0]
    summary = main(quick=args.quick, full=args.full, scheduler=args.scheduler)

# %%
# The grid search's scores
# ------------------------
# Mean cross-validated accuracy of every candidate, as computed on the
# cluster.

if __name__ == "__main__":
    results = summary["cv_results"]
    labels = [
        ", ".join(f"{key.split('__')[-1]}={value}" for key, value in p.items())
        for p in results["params"]
    ]
    order = np.argsort(results["mean_test_score"])
    fig, ax = plt.subplots(
        figsize=(7, 0.35 * len(labels) + 1.2), layout="constrained"
    )
    ax.barh(
        np.arange(len(labels)),
        results["mean_test_score"][order],
        xerr=results["std_test_score"][order],
        color="C0",
    )
    ax.set_yticks(np.arange(len(labels)), [labels[i] for i in order])
    ax.set_xlabel("mean cross-validated accuracy")
    ax.set_xlim(max(0.0, results["mean_test_score"].min() - 0.05), 1.0)
    ax.set_title("GridSearchCV on a Dask cluster (digits)")
    plt.show()
