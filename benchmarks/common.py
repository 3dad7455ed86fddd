"""Shared pieces of the asv suite: deterministic cached data and the benchmark base class.

The benchmark classes (bench_classifier.py, bench_regressor.py) are parameterised,
in scikit-learn's asv style, over

    solver  x  dtype  x  size
    (lbfgs, sgd, adam) x (float32, float64) x (small, medium)

and measure, for every combination,

    time_fit          wall time of one `fit` (fixed number of epochs / iterations)
    peakmem_fit       peak resident memory of the benchmark process during `fit`
    time_predict      wall time of `predict` on the training data
    track_final_loss  `loss_` after the fit, so a speed-up bought with different
                      arithmetic (or fewer iterations) shows up as a changed number

Data is synthetic and generated deterministically (fixed seeds), cached per process
with `functools.cache`; the fitted estimators used by `time_predict` and
`track_final_loss` are built once in `setup_cache` and handed to every benchmark.

BLAS threads are pinned with threadpoolctl to FASTMLP_BENCH_THREADS (default 1:
single-threaded numbers are the most reproducible on shared or virtual machines).

Run from the repository root, in the current (development) environment:

    asv run --python=same --quick          # every benchmark once, a few minutes
    asv run --python=same -b Classifier    # only the classifier benchmarks, full timing

The second half of this module is shared with the stand-alone report compare.py (and
its small-data section, small_data.py) and with bench_small_data.py: the small-data
setting (scikit-learn's digits, network (64, 32)), the measuring helpers (best of N
calls, the share of the CPUs other processes used meanwhile, a measurement in a fresh
child process) and the formatting of the report's cells.
"""

import contextlib
import math
import os
import sys
import time
import warnings
from abc import ABC, abstractmethod
from functools import cache
from itertools import product

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

SOLVERS = ["lbfgs", "sgd", "adam"]
DTYPES = ["float32", "float64"]
SIZES = ["small", "medium"]

# Data set shape and network per size. Stochastic solvers run `epochs` epochs,
# L-BFGS runs `lbfgs_iter` iterations; tol=0 so every fit does all of them.
SIZE_SPECS = {
    "small": dict(n_samples=1_000, n_features=20, hidden=(32,), epochs=20, lbfgs_iter=50),
    "medium": dict(
        n_samples=10_000, n_features=100, hidden=(64, 64), epochs=10, lbfgs_iter=50
    ),
}
N_CLASSES = 5
N_TARGETS = 2
BLAS_THREADS = int(os.environ.get("FASTMLP_BENCH_THREADS", "1"))


@cache
def classification_data(size, dtype):
    """X (n, d) standard normal and y in 0..N_CLASSES-1 from a fixed linear teacher."""
    spec = SIZE_SPECS[size]
    rng = np.random.default_rng(0)
    X = rng.standard_normal((spec["n_samples"], spec["n_features"]))
    teacher = rng.standard_normal((spec["n_features"], N_CLASSES))
    noise = 0.5 * rng.standard_normal((spec["n_samples"], N_CLASSES))
    y = np.argmax(X @ teacher + noise, axis=1)
    return X.astype(dtype), y


@cache
def regression_data(size, dtype):
    """X (n, d) standard normal and N_TARGETS smooth nonlinear targets plus noise."""
    spec = SIZE_SPECS[size]
    rng = np.random.default_rng(1)
    X = rng.standard_normal((spec["n_samples"], spec["n_features"]))
    teacher = rng.standard_normal((spec["n_features"], N_TARGETS)) / np.sqrt(
        spec["n_features"]
    )
    y = np.tanh(X @ teacher) + 0.1 * rng.standard_normal((spec["n_samples"], N_TARGETS))
    return X.astype(dtype), y.astype(dtype)


def estimator_params(solver, size):
    """Constructor arguments shared by every benchmark of one (solver, size)."""
    spec = SIZE_SPECS[size]
    max_iter = spec["lbfgs_iter"] if solver == "lbfgs" else spec["epochs"]
    return dict(
        hidden_layer_sizes=spec["hidden"],
        solver=solver,
        batch_size=min(200, spec["n_samples"]),
        max_iter=max_iter,
        tol=0.0,
        n_iter_no_change=max_iter + 1,
        random_state=0,
    )


class MLPBenchmark(ABC):
    """Base class: subclasses set `estimator_class` and `load_data` and define
    `setup_cache` themselves (asv keys the cache by where `setup_cache` is written,
    so an inherited one would be shared between the subclasses). Abstract, so asv
    does not collect it on its own."""

    params = (SOLVERS, DTYPES, SIZES)
    param_names = ["solver", "dtype", "size"]
    timeout = 300

    estimator_class = None
    load_data = None  # staticmethod(size, dtype) -> (X, y)

    @abstractmethod
    def setup_cache(self):
        """Return `self._fit_all()`; written out in each subclass (see above)."""

    def _fit_all(self):
        """Fit every (solver, dtype, size) once; returned to asv as the setup cache."""
        fitted = {}
        with threadpool_limits(BLAS_THREADS), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for solver, dtype, size in product(*self.params):
                X, y = self.load_data(size, dtype)
                estimator = self.estimator_class(**estimator_params(solver, size))
                fitted[solver, dtype, size] = estimator.fit(X, y)
        return fitted

    def setup(self, fitted, solver, dtype, size):
        self.X, self.y = self.load_data(size, dtype)
        self.estimator = self.estimator_class(**estimator_params(solver, size))
        self.fitted = fitted[solver, dtype, size]
        self._limits = threadpool_limits(BLAS_THREADS)
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.simplefilter("ignore", ConvergenceWarning)

    def teardown(self, fitted, solver, dtype, size):
        self._warnings.__exit__(None, None, None)
        self._limits.restore_original_limits()

    def time_fit(self, fitted, solver, dtype, size):
        self.estimator.fit(self.X, self.y)

    # A fit is long enough to time on its own: one call per sample, no warm-up
    # calls, 1 to 3 samples within 10 s (--quick takes a single one).
    time_fit.number = 1
    time_fit.repeat = (1, 3, 10.0)
    time_fit.warmup_time = 0.0

    def peakmem_fit(self, fitted, solver, dtype, size):
        self.estimator.fit(self.X, self.y)

    def time_predict(self, fitted, solver, dtype, size):
        self.fitted.predict(self.X)

    def track_final_loss(self, fitted, solver, dtype, size):
        return float(self.fitted.loss_)

    track_final_loss.unit = "loss"


def bench_context(threads=BLAS_THREADS):
    """An ExitStack holding a BLAS / OpenMP limit of `threads` and ConvergenceWarning
    silenced (fits with a fixed number of epochs end "unconverged" on purpose); close()
    it, or use it in a `with` block."""
    stack = contextlib.ExitStack()
    stack.enter_context(threadpool_limits(threads))
    stack.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore", ConvergenceWarning)
    return stack


# ----------------------------------------------------------------------------
# Small data: scikit-learn's digits and the network of the small-data benchmarks.
# ----------------------------------------------------------------------------
DIGITS_HIDDEN = (64, 32)
DIGITS_CLASSES = np.arange(10)
LONG_EPOCHS = 40  # the longer fit of the small-data benchmarks


@cache
def digits_data(dtype):
    """scikit-learn's digits: X (1797 x 64) / 16 as dtype, y the digit (0..9, int)."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(dtype), y


def digits_params(max_iter, early_stopping=False):
    """Constructor arguments of the small-data benchmarks: hidden (64, 32), adam with
    scikit-learn's defaults (batch_size=min(200, n)), random_state=0, and tol=0 with
    n_iter_no_change > max_iter, so that a fit runs all of its `max_iter` epochs."""
    return dict(
        hidden_layer_sizes=DIGITS_HIDDEN,
        max_iter=max_iter,
        tol=0.0,
        n_iter_no_change=max_iter + 1,
        early_stopping=early_stopping,
        random_state=0,
    )


# ----------------------------------------------------------------------------
# Measuring helpers of compare.py and small_data.py.
# ----------------------------------------------------------------------------
QUIET_SHARE = 0.05  # other processes' CPU share under which a fit is not repeated


def peak_rss_bytes():
    """Peak resident set size of this process so far, or None where unknown."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def cpu_seconds():
    """(CPU seconds the whole machine spent busy, CPU seconds of this process), or None
    where /proc/stat is missing. Busy = user + nice + system + irq + softirq + steal."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return None
    own = os.times()
    busy = sum(ticks) - ticks[3] - ticks[4]  # minus idle and iowait
    return busy / os.sysconf("SC_CLK_TCK"), own.user + own.system


class FitMeter:
    """Times a block and records the peak RSS before and after it, and the share of the
    machine's CPUs that other processes (or the hypervisor, as steal) used meanwhile."""

    def __enter__(self):
        self.base = peak_rss_bytes()
        self.cpu = cpu_seconds()
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc_info):
        self.seconds = time.perf_counter() - self.start
        cpu = cpu_seconds()
        self.peak = peak_rss_bytes()
        self.other_cpu = None
        if self.cpu is not None and cpu is not None and self.seconds > 0:
            others = (cpu[0] - self.cpu[0]) - (cpu[1] - self.cpu[1])
            self.other_cpu = max(0.0, others) / (self.seconds * (os.cpu_count() or 1))
        return False


def measured_fit(fit_once, fits, retries):
    """Call fit_once() -> (FitMeter, fitted) `fits` times, then again, up to `retries`
    times, while other processes used more than QUIET_SHARE of the CPUs during the
    last one. Returns the fastest attempt's time and other-CPU share, the first
    attempt's memory (later attempts reuse the heap it grew) and the number of
    attempts, with the fastest's fitted."""
    attempts = []
    for attempt in range(max(fits, 1) + retries):
        attempts.append(fit_once())
        share = attempts[-1][0].other_cpu
        if attempt + 1 >= fits and (share is None or share <= QUIET_SHARE):
            break
    meter, fitted = min(attempts, key=lambda attempt: attempt[0].seconds)
    first = attempts[0][0]
    return {
        "fit_s": meter.seconds,
        "other_cpu": meter.other_cpu,
        "base": first.base,
        "peak": first.peak,
        "attempts": len(attempts),
        "retried": len(attempts) > max(fits, 1),
    }, fitted


def best_of(repeats, func, min_seconds=0.0):
    """Seconds of the fastest of `repeats` calls of func(), or of more calls until
    `min_seconds` have passed."""
    best, calls, begin = math.inf, 0, time.perf_counter()
    while calls < repeats or time.perf_counter() - begin < min_seconds:
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
        calls += 1
    return best


def fmt(value, spec, missing="-"):
    """`value` formatted with `spec`, or `missing` for None / NaN / inf."""
    return missing if value is None or not np.isfinite(value) else format(value, spec)


def fmt_ratio(ratio):
    """A speed-up as "2.50x", "-" where unknown."""
    return "-" if ratio is None else f"{ratio:.2f}x"


def busy_warning(shares, during):
    """A warning line when other processes kept more than 10% of the CPUs busy
    `during` one of the measurements (their shares, None where unknown), else None."""
    busiest = max((share for share in shares if share is not None), default=None)
    if busiest is None or busiest <= 0.10:
        return None
    return (
        f"Warning: other processes kept up to {100 * busiest:.0f}% of the CPUs busy "
        f"during {during} (column 'other CPU %'); those timings are not reliable."
    )


def run_in_child(ctx, func, *args):
    """func(*args) in a fresh child process of the multiprocessing context `ctx`; its
    result (a dict), or {"error": ...} if it raised or the child died."""
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child_entry, args=(send, func, args))
    proc.start()
    send.close()
    try:
        result = receive.recv()
    except EOFError:
        result = None
    proc.join()
    if result is None:
        result = {"error": f"child process died (exit code {proc.exitcode})"}
    return result


def _child_entry(conn, func, args):
    try:
        result = func(*args)
    except Exception as exc:  # reported in the table, never swallowed silently
        result = {"error": f"{type(exc).__name__}: {exc}"}
    conn.send(result)
    conn.close()


def target_status(values, threshold):
    """'met' when every value in `values` (speed-ups) reaches `threshold` (exceeds it
    for a threshold of 1: "faster"), 'missed' when one does not, 'n/a' when one is
    unknown."""
    if not values or any(value is None for value in values):
        return "n/a"
    met = all(
        value > threshold if threshold == 1.0 else value >= threshold for value in values
    )
    return "met" if met else "missed"


def fmt_required(threshold):
    """The 'required' cell of a speed-up target."""
    return "> 1x" if threshold == 1.0 else f">= {threshold:g}x"
