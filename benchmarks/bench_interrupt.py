"""asv benchmarks of Ctrl-C: how long a SIGINT takes to end a running fit.

    asv run --python=same --quick -b Interrupt

A timer thread sends a real SIGINT to the process DELAY seconds into the call; the
latency is the wall time from the signal to the KeyboardInterrupt reaching the
caller (the time fastmlp takes to notice the signal, roll the interrupted epoch
back and leave). tests/test_interrupt.py checks what the interrupt leaves behind;
this measures only how fast it happens. Cases:

    epochs        MLPClassifier, adam, many short epochs (1000 x 20, (32,), batch 200,
                  5 classes: the "small" classification data of common.py)
    partial_fit   one long partial_fit epoch, adam, batch_size=1 (600000 x 10, (64,)):
                  the signal arrives inside the compiled loop
    lbfgs         L-BFGS, many cheap iterations (1000 x 20, (32,), 2 targets: the
                  "small" regression data of common.py)
    lbfgs_long    L-BFGS with long evaluations of the objective (600000 x 10, (64,))
    team          one long partial_fit epoch of a wide network on a team of threads
                  (600000 x 10, (256, 256), batch 200, BLAS limit 2: the team has
                  min(2, CPUs) threads); only the team's first thread looks for signals

Each `track_latency` call interrupts REPEATS fits and returns the median, in seconds.
BLAS threads are pinned to FASTMLP_BENCH_THREADS (default 1) as in common.py, except
for the team case, which needs two.
"""

import os
import signal
import threading
import time
import warnings
from functools import cache

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from fastmlp import MLPClassifier, MLPRegressor

from .common import BLAS_THREADS, classification_data, regression_data

DELAY = 0.3  # seconds into the call when the SIGINT is sent
REPEATS = 5  # interrupted calls per measurement (the median is reported)
N_LONG = 600_000
NEVER = 10**6  # max_iter / max_fun a fit does not reach before the signal


@cache
def long_data():
    """600000 x 10 standard normal rows and a linear target: an epoch of seconds."""
    rng = np.random.default_rng(2)
    X = rng.standard_normal((N_LONG, 10))
    return X, X[:, 0] - X[:, 1]


def interrupt_latency(call, delay=DELAY):
    """Seconds from a SIGINT sent `delay` s into call() to the end of the call, or
    NaN if the call returned (before the signal or in spite of it)."""
    if threading.current_thread() is not threading.main_thread():
        return float("nan")  # Python runs signal handlers in the main thread only
    sent = []
    finished = threading.Event()

    def timer():
        if not finished.wait(delay):
            sent.append(time.perf_counter())
            os.kill(os.getpid(), signal.SIGINT)

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    thread = threading.Thread(target=timer, daemon=True)
    end = None
    try:
        thread.start()
        try:
            call()
        except KeyboardInterrupt:
            end = time.perf_counter()
        finished.set()
        thread.join()
    finally:
        finished.set()
        signal.signal(signal.SIGINT, previous)
    if end is None or not sent:
        return float("nan")
    return end - sent[0]


def _epochs():
    X, y = classification_data("small", "float64")
    est = MLPClassifier(
        hidden_layer_sizes=(32,),
        solver="adam",
        batch_size=200,
        max_iter=NEVER,
        tol=0.0,
        n_iter_no_change=NEVER,
        random_state=0,
    )
    return lambda: est.fit(X, y)


def _partial_fit():
    X, y = long_data()
    est = MLPRegressor(
        hidden_layer_sizes=(64,), solver="adam", batch_size=1, random_state=0
    )
    return lambda: est.partial_fit(X, y)


def _lbfgs():
    X, y = regression_data("small", "float64")
    est = MLPRegressor(
        hidden_layer_sizes=(32,),
        solver="lbfgs",
        max_iter=NEVER,
        max_fun=NEVER,
        tol=0.0,
        random_state=0,
    )
    return lambda: est.fit(X, y)


def _lbfgs_long():
    X, y = long_data()
    est = MLPRegressor(
        hidden_layer_sizes=(64,),
        solver="lbfgs",
        max_iter=NEVER,
        max_fun=NEVER,
        tol=0.0,
        random_state=0,
    )
    return lambda: est.fit(X, y)


def _team():
    X, y = long_data()
    est = MLPRegressor(
        hidden_layer_sizes=(256, 256), solver="adam", batch_size=200, random_state=0
    )
    return lambda: est.partial_fit(X, y)


CASES = {
    "epochs": (_epochs, BLAS_THREADS),
    "partial_fit": (_partial_fit, BLAS_THREADS),
    "lbfgs": (_lbfgs, BLAS_THREADS),
    "lbfgs_long": (_lbfgs_long, BLAS_THREADS),
    "team": (_team, 2),
}


class InterruptLatency:
    """Seconds from a SIGINT to the end of the interrupted fit / partial_fit."""

    params = [list(CASES)]
    param_names = ["case"]
    timeout = 300

    def setup(self, case):
        self.make, threads = CASES[case]
        self._limits = threadpool_limits(threads)
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.simplefilter("ignore", ConvergenceWarning)

    def teardown(self, case):
        self._warnings.__exit__(None, None, None)
        self._limits.restore_original_limits()

    def track_latency(self, case):
        # make() builds the data and the estimator before the clock starts
        return float(np.median([interrupt_latency(self.make()) for _ in range(REPEATS)]))

    track_latency.unit = "seconds"
