"""fastmlp vs scikit-learn vs PyTorch: one run, one markdown report.

    python benchmarks/compare.py                 # full run, 2 BLAS threads, a few minutes
    python benchmarks/compare.py --threads 1     # another thread count, for every library
    python benchmarks/compare.py --quick         # tiny sizes, 1 epoch (CI smoke run, ~20 s)
    python benchmarks/compare.py --only mnist-f32,wide-f32 --no-torch
    python benchmarks/compare.py --only small-data   # only the small-data section
    python benchmarks/compare.py --only search       # the searches (not in a full run)
    python benchmarks/compare.py --no-small-data     # every section but that one
    python benchmarks/compare.py --kernels blas      # fastmlp's fits with FASTMLP_KERNELS=blas
    python benchmarks/compare.py --busy 0,1,2        # the busy-machine tables instead

PyTorch is optional (`pip install torch==2.13.0`); without it its rows are skipped.

The whole set of measurements is made --rounds times (default 2), one round after
the other, every other round in the reverse library order; each library keeps its
fastest fit and predict_proba over the rounds, so a slow spell of the machine during
one library's turn does not decide a ratio alone.

For every configuration (synthetic, deterministic data) each library is measured in
a fresh child process (multiprocessing 'forkserver', 'spawn' where that is missing)
that loads the data, does a tiny warm-up fit, records its peak RSS
(getrusage(RUSAGE_SELF).ru_maxrss) as the baseline, fits once with the timer running,
records the peak RSS again (refitting while other processes load the machine, see
"other CPU %") and then times predict_proba on the training data (best of 3). All
libraries get the same BLAS/OpenMP thread limit (threadpoolctl, and
torch.set_num_threads for PyTorch), the same layers, the same initial weights
(scikit-learn's Glorot draw for random_state=0), the same batch size and the same
optimizer settings:

    adam   torch.optim.Adam(lr, betas, eps; fused when available), L2 term alpha
           on the weights only, as weight_decay = alpha / batch_size
    sgd    torch.optim.SGD(lr, momentum, nesterov)
    lbfgs  torch.optim.LBFGS(history_size=10, strong Wolfe line search, max_iter)

tol=0 with n_iter_no_change > max_iter, so every library runs every epoch.

The configurations "defaults-*" and "regressor-es-f64" leave everything else at the
library's defaults (MLPClassifier(max_iter=3, ...): hidden (100,), relu, adam,
batch_size "auto", i.e. 200; MLPRegressor((64, 32), early_stopping=True, ...), where
10% of the rows are held out and scored after every epoch). "gridsearch-f64" times a
whole GridSearchCV(Pipeline(StandardScaler, MLPClassifier), n_jobs=1) of 4 candidates
(hidden_layer_sizes (50,) or (100,), alpha 1e-4 or 1e-3) x 3 folds and the refit on
all rows. PyTorch has no counterpart of the regressor with early stopping nor of the
grid search and is not measured there.

Columns of the table:

    s/epoch        fit time / epochs (per iteration for L-BFGS); for the grid search
                   the time of the whole search / the epochs of all its fits
    us/batch       fit time / mini-batches
    GFLOP/s        the FLOPs done per epoch, n * (6 * sum(fan_in * fan_out) - 2 * d *
                   fan_out of the first layer: no delta back to the input), per L-BFGS
                   iteration as if it made one objective evaluation, / s per epoch; for
                   sparse X the
                   first layer counts 4 * nnz * fan_out instead; with early stopping
                   6 * n_train * ... + 2 * n_validation * ... (the validation forward
                   pass); none for the grid search
    % GEMM         GFLOP/s / the GEMM rate measured here (numpy matmul of 2000 x 2000
                   matrices of the same dtype, same thread limit, best of 5 at the start
                   and 5 at the end of the run)
    predict rows/s rows / predict_proba time
    fit peak MiB   peak RSS of the child after fit - its peak RSS before fit
    final loss     loss_ (PyTorch: mean loss of the last epoch plus the L2 term at its
                   end; L-BFGS: the objective at the last iterate)
    other CPU %    share of the machine's CPUs that other processes (or the hypervisor,
                   as steal time) used during the kept fit, from /proc/stat. Each child
                   fits --fits times (default 3) and keeps the fastest; above 5% it fits
                   again (--retries, default 2; "(5 fits)"); rows still well above 5%
                   are not to be trusted. A virtual machine's CPUs can also slow down
                   with no trace in /proc/stat (another guest on the same core): the
                   fastest of several fits is the best estimate of the code's speed
    vs sklearn,    on the fastmlp row: the other library's time / fastmlp's time, of
    vs torch       the fit per epoch (per iteration for L-BFGS), of the whole search
                   for the grid search, or of predict_proba for the predict_proba row
                   (which reuses the fit of the row with the same data and network)

The targets are checked below the table (met / missed); the "% GEMM" ones are meant
for the default 2 threads. In --quick mode the sizes are far too small for them to
mean anything, and nothing is asserted.

--kernels blas|own|auto sets FASTMLP_KERNELS for every child (fastmlp reads it when
a fit starts: OpenBLAS only, its own small-GEMM kernels only, or its choice per
product); without it the variable is left as it is (unset: auto).

A second section, "Small data: per-call costs" (small_data.py, --only small-data),
compares fastmlp with scikit-learn only, on scikit-learn's digits: predict,
predict_proba and partial_fit of a few rows, a fit of 1 and of 40 epochs (without and
with early stopping), the cost of one more epoch, cross_val_score; both dtypes, each
timing the best of many calls (--calls) in the same rounds and alternating library
order, with its own targets below its table. --quick keeps its sizes and makes fewer
calls (each fit once).

--busy N[,N...] prints, instead of all this, one table per N: every configuration's
fit (predict_proba for "predict-f64") and the small-data fits and 1797-row predict,
while N processes spin on the CPUs (each a Python `while True: pass`, started before
the table's measurements and stopped after them), by fastmlp as it chooses its
threads, by fastmlp forced to one thread (threadpool_limits(1)), by fastmlp forced
to its team (the team size of --threads BLAS threads, unmeasured) and by
scikit-learn. Each cell is the best of --fits calls (default 3) timed in one fresh
child process after a warm-up call, over --rounds rounds (default 2) in alternating
order; "first" is fastmlp's first timed call (the one that may still have to find
out that the team is slower). The target: fastmlp at most 10% slower than the
faster of the two forced variants. --only selects configurations as above
(small-data for the digits rows).
"""

import argparse
import contextlib
import dataclasses
import datetime
import importlib.metadata
import importlib.util
import itertools
import math
import multiprocessing
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from threadpoolctl import threadpool_info, threadpool_limits

if __package__:  # benchmarks.compare, as asv collects the package
    from . import search, small_data
    from .common import (
        FitMeter,
        best_of,
        busy_warning,
        fmt,
        fmt_ratio,
        fmt_required,
        measured_fit,
        run_in_child,
        target_status,
    )
else:  # python benchmarks/compare.py
    import search
    import small_data
    from common import (
        FitMeter,
        best_of,
        busy_warning,
        fmt,
        fmt_ratio,
        fmt_required,
        measured_fit,
        run_in_child,
        target_status,
    )

LIBRARIES = ("fastmlp", "sklearn", "torch")
LIBRARY_NAMES = {"fastmlp": "fastmlp", "sklearn": "scikit-learn", "torch": "PyTorch"}
ADAM = dict(learning_rate_init=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-8)
SGD = dict(learning_rate_init=1e-3, momentum=0.9, nesterovs_momentum=True)
ALPHA = 1e-4
WARMUP_ROWS = 256
TASKS = ("classifier", "regressor", "gridsearch")
# The grid search: its grid (over the pipeline's step "mlp") and folds.
GRID = {"mlp__hidden_layer_sizes": [(50,), (100,)], "mlp__alpha": [1e-4, 1e-3]}
GRID_FOLDS = 3
KERNEL_SETTINGS = ("blas", "own", "auto")


@dataclass(frozen=True)
class Config:
    """One benchmark configuration: data, network and solver."""

    key: str
    n: int
    d: int
    hidden: tuple
    n_classes: int
    batch_size: int
    dtype: str = "float64"
    solver: str = "adam"
    epochs: int = 2  # max_iter: epochs, or iterations for L-BFGS
    density: float = 0.0  # > 0: sparse CSR X with this fraction of non-zeros
    primary: str = "fit"  # what the speed-up columns compare: "fit" or "predict"
    task: str = "classifier"  # "classifier", "regressor" (n_classes: targets), "gridsearch"
    early_stopping: bool = False
    defaults: bool = False  # the library's defaults but for network, epochs, early_stopping

    @property
    def run_key(self):
        """Configurations with equal run keys share one set of measurements."""
        fields = dataclasses.asdict(self)
        del fields["key"], fields["primary"]
        return tuple(sorted(fields.items()))

    @property
    def data_key(self):
        return (self.n, self.d, self.n_classes, self.density, self.task == "regressor")

    @property
    def n_validation(self):
        """Rows held out for early stopping (10%, rounded up as train_test_split does)."""
        return math.ceil(0.1 * self.n) if self.early_stopping else 0

    @property
    def batches(self):
        """Mini-batches per epoch."""
        n_train = self.n - self.n_validation
        return math.ceil(n_train / min(self.batch_size, n_train))

    def describe(self):
        short = {"float32": "f32", "float64": "f64"}[self.dtype]
        hidden = str(tuple(self.hidden)).replace(" ", "")
        what = f"{self.n}x{self.d}"
        if self.density:
            what += f" CSR {self.density:.0%}"
        if self.solver == "lbfgs":
            how = f"lbfgs {self.epochs} it"
        else:
            how = f"b{self.batch_size} {self.solver} {self.epochs} ep"
        if self.defaults:
            how = f"defaults {self.epochs} ep"
        if self.early_stopping:
            how += " early stop"
        prefix = "predict_proba " if self.primary == "predict" else ""
        if self.task == "regressor":
            prefix = "MLPRegressor "
        elif self.task == "gridsearch":
            n_candidates = math.prod(len(values) for values in GRID.values())
            prefix = f"GridSearchCV {n_candidates}x{GRID_FOLDS}-fold "
            hidden = "/".join(
                str(h).replace(" ", "") for h in GRID["mlp__hidden_layer_sizes"]
            )
            hidden += " x alpha " + "/".join(f"{a:g}" for a in GRID["mlp__alpha"])
        return f"{prefix}{what} {hidden} {how} {short}"


def full_configs():
    return [
        Config("small-f64", 20_000, 20, (32, 32), 2, 32, "float64", epochs=3),
        Config("small-f32", 20_000, 20, (32, 32), 2, 32, "float32", epochs=3),
        Config("mnist-f64", 60_000, 784, (100,), 10, 200, "float64"),
        Config("mnist-f32", 60_000, 784, (100,), 10, 200, "float32"),
        Config("wide-f32", 60_000, 784, (256, 256), 10, 256, "float32"),
        Config("predict-f64", 60_000, 784, (100,), 10, 200, "float64", primary="predict"),
        Config("lbfgs-f64", 20_000, 50, (64,), 10, 20_000, "float64", "lbfgs", epochs=50),
        Config(
            "sparse-f64", 20_000, 5_000, (100,), 10, 200, "float64", epochs=3, density=0.01
        ),
        Config(
            "defaults-f64", 60_000, 40, (100,), 3, 200, "float64", epochs=3, defaults=True
        ),
        Config(
            "defaults-f32", 60_000, 40, (100,), 3, 200, "float32", epochs=3, defaults=True
        ),
        Config(
            "regressor-es-f64",
            40_000,
            25,
            (64, 32),
            1,
            200,
            "float64",
            epochs=5,
            task="regressor",
            early_stopping=True,
            defaults=True,
        ),
        Config(
            "gridsearch-f64",
            8_000,
            20,
            (100,),
            3,
            200,
            "float64",
            epochs=10,
            task="gridsearch",
        ),
    ]


def quick_configs():
    """The same configurations at toy sizes and one epoch (five L-BFGS iterations)."""
    configs = []
    for cfg in full_configs():
        epochs = 5 if cfg.solver == "lbfgs" else 1
        n = 2_000
        configs.append(
            dataclasses.replace(cfg, n=n, epochs=epochs, batch_size=min(cfg.batch_size, n))
        )
    return configs


# ----------------------------------------------------------------------------
# Data: synthetic, deterministic, generated once per shape and saved to .npy/.npz
# so that each child loads it without temporaries inflating its peak memory.
# ----------------------------------------------------------------------------
def make_data(cfg):
    """(X, y): X standard normal float32 (or sparse CSR float64 with uniform
    values), y the argmax of a fixed linear teacher plus noise; for a regressor y is
    tanh of a linear teacher plus noise (float64, one column per target, 1-D for one)."""
    rng = np.random.default_rng(0)
    if cfg.task == "regressor":
        X = rng.standard_normal((cfg.n, cfg.d), dtype=np.float32)
        teacher = rng.standard_normal((cfg.d, cfg.n_classes)) / np.sqrt(cfg.d)
        y = np.tanh(X @ teacher) + 0.1 * rng.standard_normal((cfg.n, cfg.n_classes))
        return X, (y[:, 0] if cfg.n_classes == 1 else y)
    if cfg.density:
        X = sp.random(
            cfg.n,
            cfg.d,
            density=cfg.density,
            format="csr",
            dtype=np.float64,
            random_state=rng,
        )
        X.sort_indices()
    else:
        X = rng.standard_normal((cfg.n, cfg.d), dtype=np.float32)
    scores = np.asarray(X @ rng.standard_normal((cfg.d, cfg.n_classes)))
    scores = scores / scores.std() + 0.3 * rng.standard_normal((cfg.n, cfg.n_classes))
    return X, np.argmax(scores, axis=1).astype(np.int64)


def save_data(configs, directory):
    """Write X (per dtype) and y of every configuration; return {run_key: paths}."""
    paths, made = {}, {}
    for cfg in configs:
        if cfg.data_key not in made:
            made[cfg.data_key] = make_data(cfg)
        X, y = made[cfg.data_key]
        stem = os.path.join(directory, "_".join(map(str, cfg.data_key)))
        y_path = stem + "_y.npy"
        if not os.path.exists(y_path):
            np.save(y_path, y)
        if sp.issparse(X):
            x_path = f"{stem}_{cfg.dtype}_X.npz"
            if not os.path.exists(x_path):
                sp.save_npz(x_path, X.astype(cfg.dtype), compressed=False)
        else:
            x_path = f"{stem}_{cfg.dtype}_X.npy"
            if not os.path.exists(x_path):
                np.save(x_path, X.astype(cfg.dtype))
        paths[cfg.run_key] = (x_path, y_path)
    return paths


def load_data(x_path, y_path):
    X = sp.load_npz(x_path).tocsr() if x_path.endswith(".npz") else np.load(x_path)
    return X, np.load(y_path)


def nbytes(X):
    if sp.issparse(X):
        return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    return X.nbytes


def epoch_flops(cfg, nnz):
    """FLOPs of one epoch as done (forward and weight-gradient GEMMs of every layer,
    the delta GEMMs of every layer but the first, and the
    forward pass of the rows held out for early stopping); None for a grid search."""
    if cfg.task == "gridsearch":
        return None
    outputs = (
        cfg.n_classes
        if cfg.task == "regressor"
        else (1 if cfg.n_classes == 2 else cfg.n_classes)
    )
    pairs = list(itertools.pairwise([cfg.d, *cfg.hidden, outputs]))
    if cfg.density:
        first = 4.0 * nnz * pairs[0][1]
        return first + 6.0 * cfg.n * sum(a * b for a, b in pairs[1:])
    per_row = sum(a * b for a, b in pairs)
    # no delta is propagated back to the input layer: 4 (not 6) FLOPs per weight there
    trained = 6.0 * per_row - 2.0 * pairs[0][0] * pairs[0][1]
    return trained * (cfg.n - cfg.n_validation) + 2.0 * cfg.n_validation * per_row


# ----------------------------------------------------------------------------
# Child process: one library, one configuration.
# ----------------------------------------------------------------------------
def estimator_params(cfg, max_iter=None):
    max_iter = cfg.epochs if max_iter is None else max_iter
    if cfg.defaults:
        return dict(
            hidden_layer_sizes=cfg.hidden,
            early_stopping=cfg.early_stopping,
            max_iter=max_iter,
            tol=0.0,
            n_iter_no_change=max_iter + 1,
            random_state=0,
        )
    params = dict(
        hidden_layer_sizes=cfg.hidden,
        solver=cfg.solver,
        alpha=ALPHA,
        batch_size=cfg.batch_size,
        max_iter=max_iter,
        tol=0.0,
        n_iter_no_change=max_iter + 1,
        shuffle=True,
        random_state=0,
    )
    params.update(SGD if cfg.solver == "sgd" else ADAM)
    if cfg.early_stopping:
        params["early_stopping"] = True
    return params


def make_estimator(library, cfg, max_iter=None):
    """fastmlp's or scikit-learn's estimator of the configuration: MLPClassifier,
    MLPRegressor, or the grid search over a pipeline with an MLPClassifier."""
    if library == "fastmlp":
        from fastmlp import MLPClassifier, MLPRegressor
    else:
        from sklearn.neural_network import MLPClassifier, MLPRegressor
    estimator_class = MLPRegressor if cfg.task == "regressor" else MLPClassifier
    estimator = estimator_class(**estimator_params(cfg, max_iter))
    if cfg.task != "gridsearch":
        return estimator
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    pipeline = Pipeline([("scale", StandardScaler()), ("mlp", estimator)])
    return GridSearchCV(pipeline, GRID, cv=GRID_FOLDS, n_jobs=1)


def measure_sklearn_api(library, cfg, X, y, opts):
    """Fit and predict_proba (predict for a regressor) with fastmlp's or
    scikit-learn's estimator (make_estimator)."""
    from sklearn.exceptions import ConvergenceWarning

    if cfg.task == "regressor":
        y = y.astype(cfg.dtype)

    def predict(model, rows):
        return model.predict(rows) if cfg.task == "regressor" else model.predict_proba(rows)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with warnings.catch_warnings():
            # A batch size above the warm-up's few rows is clipped, with a warning.
            warnings.simplefilter("ignore", UserWarning)
            warm = make_estimator(library, cfg, max_iter=1)
            predict(warm.fit(X[:WARMUP_ROWS], y[:WARMUP_ROWS]), X[:WARMUP_ROWS])
            del warm

        def fit_once():
            model = make_estimator(library, cfg)
            with FitMeter() as meter:
                model.fit(X, y)
            return meter, model

        result, model = measured_fit(fit_once, opts["fits"], opts["retries"])
    predict_s = best_of(opts["repeats"], lambda: predict(model, X))
    if cfg.task == "gridsearch":
        # Every fit runs all its epochs (tol=0): the candidates on every fold, the refit.
        best = model.best_estimator_[-1]
        fits = len(model.cv_results_["params"]) * model.n_splits_ + 1
        n_iter = fits * int(best.n_iter_)
    else:
        best = model
        n_iter = int(model.n_iter_)
    return {**result, "n_iter": n_iter, "loss": float(best.loss_), "predict_s": predict_s}


def sklearn_initial_weights(units):
    """scikit-learn's Glorot-uniform draw for random_state=0 and relu: W0, b0, W1, ..."""
    rng = np.random.RandomState(0)
    layers = []
    for fan_in, fan_out in itertools.pairwise(units):
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        layers.append(
            (
                rng.uniform(-bound, bound, (fan_in, fan_out)),
                rng.uniform(-bound, bound, fan_out),
            )
        )
    return layers


def measure_torch(cfg, X, y, opts):
    """The same network, initial weights, optimizer and batches in PyTorch."""
    import torch

    torch.set_num_threads(opts["threads"])
    torch.manual_seed(0)
    dtype = {"float32": torch.float32, "float64": torch.float64}[cfg.dtype]
    binary = cfg.n_classes == 2
    units = [cfg.d, *cfg.hidden, 1 if binary else cfg.n_classes]

    def build():
        layers = []
        for i, (W, b) in enumerate(sklearn_initial_weights(units)):
            linear = torch.nn.Linear(W.shape[0], W.shape[1], dtype=dtype)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(W.T.copy()))
                linear.bias.copy_(torch.from_numpy(b))
            layers.append(linear)
            if i < len(units) - 2:
                layers.append(torch.nn.ReLU())
        return torch.nn.Sequential(*layers)

    Xt = torch.from_numpy(X)
    if binary:
        yt = torch.from_numpy(y.astype(X.dtype).reshape(-1, 1))
        loss_fn = torch.nn.BCEWithLogitsLoss()
    else:
        yt = torch.from_numpy(y)
        loss_fn = torch.nn.CrossEntropyLoss()

    def weight_sq(model):
        return sum((m.weight**2).sum() for m in model if isinstance(m, torch.nn.Linear))

    def fit(model, Xf, yf, epochs):
        """Returns (iterations, final loss, optimizer note)."""
        n = Xf.shape[0]
        if cfg.solver == "lbfgs":
            opt = torch.optim.LBFGS(
                model.parameters(),
                lr=1.0,
                max_iter=epochs,
                max_eval=15_000,
                tolerance_grad=0.0,
                history_size=10,
                line_search_fn="strong_wolfe",
            )

            def closure():
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(model(Xf), yf) + 0.5 * ALPHA * weight_sq(model) / n
                loss.backward()
                return loss

            opt.step(closure)
            with torch.no_grad():
                final = loss_fn(model(Xf), yf) + 0.5 * ALPHA * weight_sq(model) / n
            return opt.state[opt.param_groups[0]["params"][0]]["n_iter"], float(final), ""

        bs = min(cfg.batch_size, n)
        weights = [m.weight for m in model if isinstance(m, torch.nn.Linear)]
        biases = [m.bias for m in model if isinstance(m, torch.nn.Linear)]
        groups = [
            {"params": weights, "weight_decay": ALPHA / bs},
            {"params": biases, "weight_decay": 0.0},
        ]
        if cfg.solver == "adam":
            kwargs = dict(
                lr=ADAM["learning_rate_init"],
                betas=(ADAM["beta_1"], ADAM["beta_2"]),
                eps=ADAM["epsilon"],
            )
            try:
                opt, note = torch.optim.Adam(groups, fused=True, **kwargs), "fused Adam"
            except (RuntimeError, TypeError):
                opt, note = torch.optim.Adam(groups, **kwargs), "Adam"
        else:
            opt = torch.optim.SGD(
                groups,
                lr=SGD["learning_rate_init"],
                momentum=SGD["momentum"],
                nesterov=SGD["nesterovs_momentum"],
            )
            note = "SGD"
        generator = torch.Generator().manual_seed(0)
        n_batches = math.ceil(n / bs)
        for _ in range(epochs):
            order = torch.randperm(n, generator=generator)
            total = 0.0
            for start in range(0, n, bs):
                idx = order[start : start + bs]
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(model(Xf.index_select(0, idx)), yf.index_select(0, idx))
                loss.backward()
                opt.step()
                total += loss.item() * idx.shape[0]
        with torch.no_grad():
            penalty = 0.5 * ALPHA * float(weight_sq(model)) * n_batches / n
        return epochs, total / n + penalty, note

    def predict(model):
        with torch.inference_mode():
            out = model(Xt)
            return torch.sigmoid(out) if binary else torch.softmax(out, dim=1)

    warm = build()
    fit(warm, Xt[:WARMUP_ROWS], yt[:WARMUP_ROWS], 1)
    del warm

    def fit_once():
        model = build()
        with FitMeter() as meter:
            outcome = fit(model, Xt, yt, cfg.epochs)
        return meter, (model, outcome)

    result, (model, (n_iter, loss, note)) = measured_fit(
        fit_once, opts["fits"], opts["retries"]
    )
    predict(model)
    predict_s = best_of(opts["repeats"], lambda: predict(model))
    return {
        **result,
        "n_iter": int(n_iter),
        "loss": loss,
        "predict_s": predict_s,
        "note": note,
    }


def merge_rounds(kept, new):
    """One library's results for one configuration over two rounds of the run: the
    faster fit (with its other-CPU share) and the faster predict_proba; memory,
    iterations and final loss from the first round (the same in every round)."""
    if kept is None or "error" in kept:
        return new
    if "error" in new:
        return kept
    merged = dict(kept)
    if new["fit_s"] < kept["fit_s"]:
        for key in ("fit_s", "other_cpu", "attempts", "retried"):
            merged[key] = new[key]
    merged["predict_s"] = min(kept["predict_s"], new["predict_s"])
    return merged


def measure_child(library, cfg_fields, x_path, y_path, opts):
    """What a measuring child does (see common.run_in_child): a dict of results.
    opts: threads, repeats (predict_proba timings), retries (see measured_fit)."""
    cfg = Config(**cfg_fields)
    with threadpool_limits(opts["threads"]):
        X, y = load_data(x_path, y_path)
        if library == "torch":
            result = measure_torch(cfg, X, y, opts)
        else:
            result = measure_sklearn_api(library, cfg, X, y, opts)
    result["x_bytes"] = nbytes(X)
    result["nnz"] = int(X.nnz) if sp.issparse(X) else cfg.n * cfg.d
    return result


# ----------------------------------------------------------------------------
# Parent: machine description, GEMM rate, orchestration, report.
# ----------------------------------------------------------------------------
def gemm_rate(dtype, threads, size=2000, repeats=5):
    """GFLOP/s of numpy matmul of two size x size matrices, best of `repeats`."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size)).astype(dtype)
    b = rng.standard_normal((size, size)).astype(dtype)
    with threadpool_limits(threads):
        a @ b
        best = best_of(repeats, lambda: a @ b)
    return 2.0 * size**3 / best / 1e9


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def version(dist):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def fastmlp_source():
    """Where the fastmlp that the children import lives, with its git commit if any."""
    spec = importlib.util.find_spec("fastmlp")
    if spec is None or spec.origin is None:
        return "not found"
    package = os.path.dirname(spec.origin)
    try:
        top = subprocess.run(
            ["git", "-C", package, "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if os.path.realpath(os.path.join(top, "fastmlp")) != os.path.realpath(package):
            return package  # an installed copy inside some other repository
        commit = subprocess.run(
            ["git", "-C", package, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = (
            subprocess.run(
                ["git", "-C", package, "diff", "--quiet", "HEAD", "--", "."],
                capture_output=True,
            ).returncode
            != 0
        )
    except (OSError, subprocess.CalledProcessError):
        return package
    return f"{package} @ {commit}{' + uncommitted changes' if dirty else ''}"


def kernels_note():
    """FASTMLP_KERNELS as the children get it, and the own kernels' instruction set."""
    setting = os.environ.get("FASTMLP_KERNELS") or "auto (unset)"
    try:
        from fastmlp._kernels import _gemm
    except ImportError:
        return f"FASTMLP_KERNELS {setting}, own kernels not built"
    return f"FASTMLP_KERNELS {setting}, own kernels {_gemm.isa()}"


def header_line(threads, torch_used, load_start):
    versions = [f"Python {platform.python_version()}"]
    for dist, name in [
        ("numpy", "numpy"),
        ("scipy", "scipy"),
        ("scikit-learn", "scikit-learn"),
        ("fastmlp", "fastmlp"),
        ("torch", "torch"),
    ]:
        v = version(dist)
        if v is None:
            continue
        if dist == "fastmlp":
            v += f" ({fastmlp_source()})"
        versions.append(
            f"{name} {v}" + ("" if dist != "torch" or torch_used else " (unused)")
        )
    import scipy.linalg  # noqa: F401  (loads SciPy's BLAS, which fastmlp calls, for the listing)

    blas = sorted(
        {
            f"{i['internal_api']} {i['version']} {i.get('architecture') or ''} "
            f"({os.path.basename(os.path.dirname(i['filepath']))})"
            for i in threadpool_info()
            if i.get("user_api") == "blas"
        }
    )
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.node()} ({platform.system()} {platform.machine()}, {os.cpu_count()} CPUs)"
    command = shlex.join([os.path.basename(sys.executable), *sys.argv])
    load = "load avg -"
    if load_start is not None:
        load = (
            f"load avg 1/5/15 min: start {'/'.join(f'{x:.1f}' for x in load_start)}, "
            f"end {'/'.join(f'{x:.1f}' for x in os.getloadavg())}"
        )
    return (
        f"{date} | {machine} | {cpu_model()} | {', '.join(versions)} | "
        f"BLAS {'; '.join(blas)} | {kernels_note()} | threads {threads} | {load} | "
        f"`{command}`"
    )


def fmt_rate(rows_per_s):
    if rows_per_s is None:
        return "-"
    for unit, scale in (("M", 1e6), ("k", 1e3)):
        if rows_per_s >= scale:
            return f"{rows_per_s / scale:.2f}{unit}"
    return f"{rows_per_s:.0f}"


def fmt_other(res):
    """Other processes' CPU share during the kept fit, and how many fits were made."""
    if res["other_cpu"] is None:
        return "-"
    tries = f" ({res['attempts']} fits)" if res.get("retried") else ""
    return f"{100 * res['other_cpu']:.0f}{tries}"


def primary_seconds(cfg, res):
    """Seconds of what the speed-up columns compare (lower is better)."""
    if res is None or "error" in res or "skipped" in res:
        return None
    if cfg.task == "gridsearch":
        return res["fit_s"]
    return (
        res["predict_s"]
        if cfg.primary == "predict"
        else res["fit_s"] / max(res["n_iter"], 1)
    )


def speedup(cfg, results, other):
    ours = primary_seconds(cfg, results.get("fastmlp"))
    theirs = primary_seconds(cfg, results.get(other))
    return None if ours is None or theirs is None else theirs / ours


def table(configs, measured, gemm):
    columns = [
        "configuration",
        "X MiB",
        "library",
        "epochs",
        "s/epoch",
        "us/batch",
        "GFLOP/s",
        "% GEMM",
        "predict rows/s",
        "fit peak MiB",
        "final loss",
        "other CPU %",
        "vs sklearn",
        "vs torch",
    ]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for cfg in configs:
        results = measured[cfg.run_key]
        for library in LIBRARIES:
            res = results.get(library)
            if res is None:
                continue
            cells = [cfg.describe(), "", LIBRARY_NAMES[library]]
            if "error" in res or "skipped" in res:
                message = res.get("error") or res["skipped"]
                cells += [message.replace("|", "/")] + [""] * (len(columns) - 4)
                lines.append("| " + " | ".join(cells) + " |")
                continue
            cells[1] = f"{res['x_bytes'] / 2**20:.1f}"
            per_epoch = res["fit_s"] / max(res["n_iter"], 1)
            flops = epoch_flops(cfg, res["nnz"])
            gflops = None if flops is None else flops / per_epoch / 1e9
            fraction = (
                None
                if cfg.density or gflops is None
                else (100.0 * gflops / gemm[cfg.dtype])
            )
            per_batch = None
            if cfg.solver != "lbfgs" and cfg.task != "gridsearch":
                per_batch = 1e6 * per_epoch / cfg.batches
            memory = None if res["peak"] is None else (res["peak"] - res["base"]) / 2**20
            ratios = ["", ""]
            if library == "fastmlp":
                ratios = [
                    fmt_ratio(speedup(cfg, results, other))
                    for other in ("sklearn", "torch")
                ]
            cells += [
                str(res["n_iter"]),
                fmt(per_epoch, ".3f"),
                fmt(per_batch, ".0f"),
                fmt(gflops, ".1f"),
                fmt(fraction, ".0f"),
                fmt_rate(cfg.n / res["predict_s"]),
                fmt(memory, ".1f"),
                fmt(res["loss"], ".5g"),
                fmt_other(res),
                *ratios,
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# (description, config key, kind, threshold); kinds: "sklearn"/"torch" speed-up ratio,
# "gemm" fraction of the measured GEMM rate.
TARGETS = [
    ("small net f64: fastmlp vs scikit-learn", "small-f64", "sklearn", 10.0),
    ("small net f32: fastmlp vs scikit-learn", "small-f32", "sklearn", 10.0),
    ("small net f64: fastmlp vs PyTorch", "small-f64", "torch", 3.0),
    ("small net f32: fastmlp vs PyTorch", "small-f32", "torch", 3.0),
    ("MNIST-sized f64: fastmlp vs scikit-learn", "mnist-f64", "sklearn", 4.0),
    ("MNIST-sized f32: fastmlp vs scikit-learn", "mnist-f32", "sklearn", 5.0),
    ("MNIST-sized f32: fastmlp vs PyTorch", "mnist-f32", "torch", 2.0),
    ("MNIST-sized f64: fastmlp share of measured dgemm rate", "mnist-f64", "gemm", 0.80),
    ("MNIST-sized f32: fastmlp share of measured sgemm rate", "mnist-f32", "gemm", 0.80),
    ("wide f32: fastmlp share of measured sgemm rate", "wide-f32", "gemm", 0.80),
    ("wide f32: fastmlp vs PyTorch", "wide-f32", "torch", 2.0),
    ("L-BFGS: fastmlp vs scikit-learn", "lbfgs-f64", "sklearn", 2.0),
    ("predict_proba: fastmlp vs scikit-learn", "predict-f64", "sklearn", 2.0),
    ("sparse: fastmlp vs scikit-learn", "sparse-f64", "sklearn", 3.0),
    ("defaults f64: fastmlp vs scikit-learn", "defaults-f64", "sklearn", 6.0),
    ("defaults f32: fastmlp vs scikit-learn", "defaults-f32", "sklearn", 10.0),
    (
        "regressor, early stopping f64: fastmlp vs scikit-learn",
        "regressor-es-f64",
        "sklearn",
        8.0,
    ),
    ("grid search f64: fastmlp vs scikit-learn", "gridsearch-f64", "sklearn", 8.0),
]


def targets(configs, measured, gemm):
    by_key = {cfg.key: cfg for cfg in configs}
    lines = ["| target | measured | required | status |", "|---|---|---|---|"]
    for text, key, kind, threshold in TARGETS:
        cfg = by_key.get(key)
        value = None
        if cfg is not None:
            results = measured[cfg.run_key]
            if kind == "gemm":
                res = results.get("fastmlp")
                if primary_seconds(cfg, res) is not None:
                    per_epoch = res["fit_s"] / max(res["n_iter"], 1)
                    value = epoch_flops(cfg, res["nnz"]) / per_epoch / 1e9 / gemm[cfg.dtype]
            else:
                value = speedup(cfg, results, kind)
        if kind == "gemm":
            shown = "-" if value is None else f"{100 * value:.0f}%"
            required = f">= {threshold:.0%}"
        else:
            shown = fmt_ratio(value)
            required = fmt_required(threshold)
        status = target_status([value], threshold)
        lines.append(f"| {text} | {shown} | {required} | {status} |")
    cfg = by_key.get("lbfgs-f64")
    if cfg is not None:
        results = measured[cfg.run_key]
        parts = []
        for library in LIBRARIES:
            res = results.get(library)
            if primary_seconds(cfg, res) is not None and res["peak"] is not None:
                mib = (res["peak"] - res["base"]) / 2**20
                parts.append(f"{LIBRARY_NAMES[library]} {mib:.1f} MiB")
        x_mib = next(
            (r["x_bytes"] / 2**20 for r in results.values() if "x_bytes" in r), None
        )
        lines.append(
            f"| L-BFGS fit peak memory ({cfg.describe()}, X {fmt(x_mib, '.1f')} MiB) "
            f"| {', '.join(parts) or '-'} | report | - |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--threads",
        type=int,
        default=2,
        help="BLAS / OpenMP / torch threads for every library (default 2)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="toy sizes and one epoch: a smoke run for CI (~20 s)",
    )
    parser.add_argument(
        "--no-torch", action="store_true", help="skip PyTorch even if installed"
    )
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated configuration keys, e.g. small-f64,lbfgs-f64; "
        f"{small_data.KEY} for the small-data section, {search.KEY} for the "
        "hyper-parameter searches (benchmarks/search.py; only when named here)",
    )
    parser.add_argument(
        "--no-small-data",
        action="store_true",
        help="skip the small-data section (per-call costs on digits)",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="predict_proba timings, best of"
    )
    parser.add_argument(
        "--calls",
        type=int,
        default=None,
        help="small-data section: each per-call timing the best of this many "
        f"calls (default {small_data.CALLS}; {small_data.QUICK_CALLS} "
        "with --quick)",
    )
    parser.add_argument(
        "--fits",
        type=int,
        default=None,
        help="fits per library and configuration, the fastest kept "
        "(default 3; 1 with --quick)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="measure every configuration this many times, in turns, "
        "keeping each library's fastest (default 2; 1 with --quick)",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        help="fit again (keeping the fastest) up to this many times while other "
        "processes use more than 5%% of the CPUs (default 2)",
    )
    parser.add_argument(
        "--busy",
        default=None,
        metavar="N[,N...]",
        help="instead of the report, the busy-machine tables: fastmlp as it "
        "chooses its threads vs forced to 1 thread vs forced to its team "
        "vs scikit-learn, while N processes spin on the CPUs, per N "
        "(e.g. 0,1,2)",
    )
    parser.add_argument(
        "--kernels",
        choices=KERNEL_SETTINGS,
        default=None,
        help="FASTMLP_KERNELS for every child: fastmlp's products on OpenBLAS "
        "(blas), on its own kernels (own) or its choice (auto)",
    )
    args = parser.parse_args(argv)
    saved = os.environ.get("FASTMLP_KERNELS")
    if args.kernels is not None:
        # Set before the first child starts: every child (and the forkserver) inherits it.
        os.environ["FASTMLP_KERNELS"] = args.kernels
    try:
        return run_report(args, parser)
    finally:
        if saved is None:
            os.environ.pop("FASTMLP_KERNELS", None)
        else:
            os.environ["FASTMLP_KERNELS"] = saved


def run_report(args, parser):
    """The report of main's parsed arguments: exit status 0, or 1 if a child failed."""

    configs = quick_configs() if args.quick else full_configs()
    with_small_data = not args.no_small_data
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - {cfg.key for cfg in configs} - {small_data.KEY, search.KEY}
        if unknown:
            parser.error(f"unknown configuration(s): {', '.join(sorted(unknown))}")
        configs = [cfg for cfg in configs if cfg.key in wanted]
        with_small_data = with_small_data and small_data.KEY in wanted
    # The searches take minutes (scikit-learn's alone): only when asked for.
    with_search = bool(args.only) and search.KEY in set(args.only.split(","))
    use_torch = (
        bool(configs)
        and not args.no_torch
        and importlib.util.find_spec("torch") is not None
    )

    started = time.perf_counter()
    load_start = os.getloadavg() if hasattr(os, "getloadavg") else None
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        # Children fork from a server that already imported these: no import cost each
        # (the baseline subtracted from each child's peak memory includes them).
        preload = ["numpy", "scipy.sparse", "sklearn.neural_network", "fastmlp"]
        if any(cfg.task == "gridsearch" for cfg in configs):
            preload += [
                "sklearn.model_selection",
                "sklearn.pipeline",
                "sklearn.preprocessing",
            ]
        preload += (["torch"] if use_torch else []) + (
            small_data.PRELOAD if with_small_data else []
        )
        preload += search.PRELOAD if with_search else []
        ctx.set_forkserver_preload(preload)
    else:
        ctx = multiprocessing.get_context("spawn")

    fits = args.fits if args.fits is not None else (1 if args.quick else 3)
    rounds = max(1, args.rounds if args.rounds is not None else (1 if args.quick else 2))
    opts = {
        "threads": args.threads,
        "repeats": args.repeats,
        "retries": args.retries,
        "fits": fits,
    }
    if args.busy is not None:
        try:
            levels = [int(n) for n in args.busy.split(",")]
        except ValueError:
            levels = [-1]
        if any(n < 0 for n in levels):
            parser.error("--busy takes process counts, e.g. 0,1,2")
        items = [(cfg.key, cfg.describe(), dataclasses.asdict(cfg)) for cfg in configs]
        if with_small_data:
            items += [(key, f"digits (64,32) {label}", None) for key, label in BUSY_DIGITS]
        tables, failed = run_busy(ctx, items, levels, opts, rounds)
        print(header_line(args.threads, False, load_start))
        for table_ in tables:
            print()
            print(table_)
        print()
        print(f"Total wall time {time.perf_counter() - started:.0f} s.")
        if failed:
            print("Failed: " + ", ".join(failed), file=sys.stderr)
            return 1
        return 0
    failed, sections = [], []
    if configs:
        gemm_repeats = 3 if args.quick else 5
        measured, gemm = run_configs(ctx, configs, opts, rounds, use_torch, gemm_repeats)
        sections.append(
            main_section(configs, measured, gemm, gemm_repeats, opts, use_torch, args.quick)
        )
        failed += [
            (cfg.key, lib)
            for cfg in configs
            for lib, res in measured[cfg.run_key].items()
            if "error" in res
        ]
    if with_small_data:
        calls = args.calls or (small_data.QUICK_CALLS if args.quick else small_data.CALLS)
        # --quick: a smoke run, no timing repeated however busy the machine is.
        small_opts = {
            "threads": args.threads,
            "fits": fits,
            "calls": calls,
            "retries": 0 if args.quick else args.retries,
            "block_s": 0.0 if args.quick else small_data.BLOCK_SECONDS,
        }
        small = small_data.run(ctx, small_opts, rounds)
        sections.append(small_data.report(small, small_opts, rounds, args.quick))
        failed += small_data.failed(small)
    if with_search:
        search_opts = {"threads": args.threads, "quick": args.quick}
        kept, limits = search.run(ctx, search_opts, rounds)
        sections.append(search.report(kept, limits, search_opts, rounds))
        failed += search.failed(kept)
    print(header_line(args.threads, use_torch, load_start))
    print()
    for section in sections:
        print(section)
        print()
    print(f"Total wall time {time.perf_counter() - started:.0f} s.")
    if failed:
        print(
            "Failed: " + ", ".join(f"{key}/{lib}" for key, lib in failed), file=sys.stderr
        )
        return 1
    return 0


def run_configs(ctx, configs, opts, rounds, use_torch, gemm_repeats):
    """Measure the configurations of the main table `rounds` times, with the GEMM rate
    (best of `gemm_repeats`) at the start and the end. Returns (measured {run_key:
    {library: results}}, gemm {dtype: GFLOP/s})."""
    dtypes = ("float32", "float64")
    threads = opts["threads"]
    gemm = {dtype: gemm_rate(dtype, threads, repeats=gemm_repeats) for dtype in dtypes}
    measured = {}
    with tempfile.TemporaryDirectory(prefix="fastmlp-compare-") as directory:
        paths = save_data(configs, directory)
        runs = {}
        for cfg in configs:
            runs.setdefault(cfg.run_key, cfg)
        for round_ in range(rounds):
            # Every other round in the reverse library order.
            order = LIBRARIES if round_ % 2 == 0 else LIBRARIES[::-1]
            for i, (run_key, cfg) in enumerate(runs.items(), 1):
                by_library = measured.setdefault(run_key, {})
                for library in order:
                    if library == "torch" and not use_torch:
                        continue
                    if library == "torch" and cfg.density:
                        by_library[library] = {"skipped": "skipped (sparse X)"}
                        continue
                    if library == "torch" and (
                        cfg.task != "classifier" or cfg.early_stopping
                    ):
                        by_library[library] = {
                            "skipped": f"skipped ({cfg.task}"
                            + (", early stopping)" if cfg.early_stopping else ")")
                        }
                        continue
                    t0 = time.perf_counter()
                    res = run_in_child(
                        ctx,
                        measure_child,
                        library,
                        dataclasses.asdict(cfg),
                        *paths[run_key],
                        opts,
                    )
                    by_library[library] = merge_rounds(by_library.get(library), res)
                    print(
                        f"[round {round_ + 1}/{rounds}, {i}/{len(runs)}] {cfg.key} "
                        f"{library}: "
                        f"{res.get('error', f'{time.perf_counter() - t0:.1f} s')}",
                        file=sys.stderr,
                        flush=True,
                    )
    # Measured again at the end, the best of both: a busy moment at the start does not
    # lower the reference every "% GEMM" is a fraction of.
    for dtype in dtypes:
        gemm[dtype] = max(gemm[dtype], gemm_rate(dtype, threads, repeats=gemm_repeats))
    return measured, gemm


def main_section(configs, measured, gemm, gemm_repeats, opts, use_torch, quick):
    """The GEMM rate, the table of the configurations and their targets, as printed."""
    lines = [
        f"GEMM rate measured (numpy matmul 2000x2000, {opts['threads']} threads, best "
        f"of {2 * gemm_repeats} at start and end): float32 {gemm['float32']:.1f} "
        f"GFLOP/s, float64 {gemm['float64']:.1f} GFLOP/s"
    ]
    warning = busy_warning(
        (
            res.get("other_cpu")
            for by_library in measured.values()
            for res in by_library.values()
        ),
        "a fit",
    )
    if warning:
        lines.append(warning)
    if use_torch:
        notes = {
            res["note"]
            for by_library in measured.values()
            for res in by_library.values()
            if res.get("note")
        }
        lines.append(f"PyTorch optimizers: {', '.join(sorted(notes)) or '-'}")
    if quick:
        title = (
            "Targets (quick mode: toy sizes, the numbers say nothing about the targets):"
        )
    else:
        title = "Targets:"
    lines += [
        "",
        table(configs, measured, gemm),
        "",
        title,
        "",
        targets(configs, measured, gemm),
    ]
    return "\n".join(lines)


# ----------------------------------------------------------------------------
# --busy: fastmlp's choice of threads while other processes use the CPUs.
# ----------------------------------------------------------------------------
BUSY_VARIANTS = ("measured", "one", "team", "sklearn")
BUSY_TARGET = 1.10  # fastmlp / the faster of one thread and the team, at most
# The small-data calls of the busy tables (float64 unless named f32).
BUSY_DIGITS = [
    ("digits-fit-40", f"fit, {small_data.LONG_EPOCHS} epochs"),
    ("digits-fit-40-f32", f"fit, {small_data.LONG_EPOCHS} epochs f32"),
    ("digits-fit-40-es", f"fit, {small_data.LONG_EPOCHS} epochs, early_stopping"),
    ("digits-fit-1", "fit, 1 epoch"),
    ("digits-cv", f"cross_val_score, cv=5, {small_data.CV_EPOCHS} epochs"),
    ("digits-predict", "predict, 1797 rows"),
]


@contextlib.contextmanager
def spinning(n):
    """`n` processes spinning on the CPUs (a Python `while True: pass` each) for
    the duration of the block."""
    procs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]
    try:
        time.sleep(0.2 if n else 0.0)  # every spinner running before the first timing
        yield
    finally:
        for proc in procs:
            proc.kill()
        for proc in procs:
            proc.wait()


def busy_call(library, key, cfg_fields, x_path, y_path):
    """The call the busy table times for item `key`: a zero-argument function, its
    warm-up done."""
    if library == "fastmlp":
        from fastmlp import MLPClassifier
    else:
        from sklearn.neural_network import MLPClassifier
    if cfg_fields is None:  # a small-data call on digits
        from sklearn.model_selection import cross_val_score

        X, y = small_data.digits_data("float32" if key.endswith("f32") else "float64")

        def model(max_iter, early_stopping=False):
            return MLPClassifier(**small_data.digits_params(max_iter, early_stopping))

        model(1).fit(X, y)
        if key == "digits-predict":
            fitted = model(small_data.LONG_EPOCHS).fit(X, y)
            fitted.predict(X)
            return lambda: fitted.predict(X)
        if key == "digits-cv":
            return lambda: cross_val_score(model(small_data.CV_EPOCHS), X, y, cv=5)
        epochs = 1 if key == "digits-fit-1" else small_data.LONG_EPOCHS
        return lambda: model(epochs, "-es" in key).fit(X, y)
    cfg = Config(**cfg_fields)
    X, y = load_data(x_path, y_path)
    if cfg.task == "regressor":
        y = y.astype(cfg.dtype)
    warm = make_estimator(library, cfg, max_iter=1).fit(X[:WARMUP_ROWS], y[:WARMUP_ROWS])
    predict = "predict" if cfg.task == "regressor" else "predict_proba"
    getattr(warm, predict)(X[:WARMUP_ROWS])
    if cfg.primary == "predict":
        fitted = make_estimator(library, cfg).fit(X, y)
        return lambda: getattr(fitted, predict)(X)
    return lambda: make_estimator(library, cfg).fit(X, y)


def busy_child(variant, key, cfg_fields, x_path, y_path, opts):
    """What a child of the busy tables does: {"times": [seconds of each of
    opts["fits"] calls of item `key`, in order]} by `variant` (BUSY_VARIANTS)."""
    library = "sklearn" if variant == "sklearn" else "fastmlp"
    with (
        threadpool_limits(1 if variant == "one" else opts["threads"]),
        warnings.catch_warnings(),
    ):
        # ConvergenceWarning (fixed epochs), a batch size clipped to the warm-up's rows
        warnings.simplefilter("ignore")
        if variant == "team":
            from fastmlp import _threads

            own = _threads.team_size
            # A replaced team_size is used as given: the team, unmeasured.
            _threads.team_size = lambda rows, flops: own(rows, flops)
        call = busy_call(library, key, cfg_fields, x_path, y_path)
        times = []
        for _ in range(opts["fits"]):
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
    return {"times": times}


def run_busy(ctx, items, levels, opts, rounds):
    """The busy tables: for each level, every item (key, label, configuration fields
    or None for a small-data call) by every variant, `rounds` times in alternating
    order. Returns (tables as printed, ["key/variant" of failed children])."""
    configs = [Config(**fields) for _, _, fields in items if fields is not None]
    tables, failed = [], []
    with tempfile.TemporaryDirectory(prefix="fastmlp-busy-") as directory:
        paths = save_data(configs, directory)
        for level in levels:
            best, first = {}, {}
            with spinning(level):
                load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
                for round_ in range(rounds):
                    order = BUSY_VARIANTS if round_ % 2 == 0 else BUSY_VARIANTS[::-1]
                    for key, label, fields in items:
                        x_path, y_path = (
                            (None, None)
                            if fields is None
                            else paths[Config(**fields).run_key]
                        )
                        for variant in order:
                            res = run_in_child(
                                ctx, busy_child, variant, key, fields, x_path, y_path, opts
                            )
                            if "error" in res:
                                failed.append(f"{key}/{variant}")
                                print(
                                    f"[busy {level}] {key} {variant}: {res['error']}",
                                    file=sys.stderr,
                                    flush=True,
                                )
                                continue
                            best[key, variant] = min(
                                best.get((key, variant), math.inf), *res["times"]
                            )
                            first.setdefault((key, variant), res["times"][0])
                    print(
                        f"[busy {level}, round {round_ + 1}/{rounds}] done",
                        file=sys.stderr,
                        flush=True,
                    )
            tables.append(busy_table(items, level, best, first, opts, rounds, load))
    return tables, failed


def busy_table(items, level, best, first, opts, rounds, load):
    """One busy table as printed."""

    def ms(seconds):
        return "-" if seconds is None else f"{1e3 * seconds:.1f} ms"

    what = (
        "quiet (no other process started)"
        if level == 0
        else f"{level} other process{'es' * (level > 1)} spinning on the CPUs"
    )
    lines = [
        f"Busy machine: {what}; BLAS threads {opts['threads']}; best of "
        f"{opts['fits']} calls in a child x {rounds} round{'s' * (rounds > 1)}, "
        f"variants alternated; load avg 1 min at the start "
        f"{'-' if load is None else f'{load:.1f}'}:",
        "",
        "| call | fastmlp | fastmlp first call | fastmlp 1 thread | fastmlp team "
        "(unmeasured) | scikit-learn | fastmlp / faster forced | vs scikit-learn | "
        f"<= {BUSY_TARGET:.2f}x |",
        "|" + "---|" * 9,
    ]
    met = counted = 0
    for key, label, _ in items:
        times = {variant: best.get((key, variant)) for variant in BUSY_VARIANTS}
        forced = [times[v] for v in ("one", "team") if times[v] is not None]
        ratio = status = None
        if times["measured"] is not None and forced:
            ratio = times["measured"] / min(forced)
            status = "met" if ratio <= BUSY_TARGET else "missed"
            counted += 1
            met += status == "met"
        vs_sklearn = None
        if times["measured"] is not None and times["sklearn"] is not None:
            vs_sklearn = times["sklearn"] / times["measured"]
        cells = [
            label,
            ms(times["measured"]),
            ms(first.get((key, "measured"))),
            ms(times["one"]),
            ms(times["team"]),
            ms(times["sklearn"]),
            fmt(ratio, ".2f"),
            fmt_ratio(vs_sklearn),
            status or "n/a",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += [
        "",
        f"{met} of {counted} rows within {BUSY_TARGET:.2f}x of the faster forced variant.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
