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
"""

import os
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
    "medium": dict(n_samples=10_000, n_features=100, hidden=(64, 64), epochs=10, lbfgs_iter=50),
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
    teacher = rng.standard_normal((spec["n_features"], N_TARGETS)) / np.sqrt(spec["n_features"])
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
