"""The own small-GEMM kernels against OpenBLAS: per product, and per training step.

    python benchmarks/kernels.py                  # both sections, a few minutes
    python benchmarks/kernels.py --quick          # fewer shapes and networks (< 30 s)
    python benchmarks/kernels.py --threads 4      # team size of the multi-thread rows
    python benchmarks/kernels.py --sections shapes --isa avx2

Section "shapes": one table row per product of a training step at batch m = 200,
for each layer shape (k, n) (fan-in, fan-out), op and dtype:

    forward       X (m x k) @ W (k x n)        product(X, W, C)
    weight grad   A^T D: A (m x k), D (m x n)  product(A, D, C, trans_a=True), C k x n
    delta back    D (m x n) @ W^T, W (k x n)   product(D, W, C, trans_b=True), as the
                                               engine computes it; with --wt, or where
                                               product has no trans_b:
                                               product(D, WT, C), WT = W.T contiguous

timed with fastmlp._kernels._gemm.product, kernel="own" at every instruction set the
CPU supports (_gemm.supported_isas(), each forced with _gemm.set_isa) and
kernel="blas" (OpenBLAS through SciPy), on one thread (threadpoolctl limit 1), with
hot caches: the same operands every time. Each timing is a set of back-to-back
products lasting about 3 ms (1 ms with --quick), made in one call with product's
`repeat` where it has one (otherwise a Python loop of calls, whose cost is then part
of the times); a row keeps the fastest set of --sets. The cost of one Python call
(a 1 x 1 x 1 product) is printed above the table. "% GEMM" is the share of the
single-thread GEMM rate: numpy matmul of two 2000 x 2000 matrices of the same dtype
under threadpoolctl limit 1, best of 5, measured in the same run. Column "auto uses"
tells which side the engine's rule (_gemm.choose) takes for that product under
FASTMLP_KERNELS=auto. The own kernels' results are checked against BLAS's; a
difference is reported below the table.

Section "steps": the time of one training step (forward, backward, Adam update) at
batch 200, from fits of MLPClassifier(hidden, batch_size=200, max_iter=E, tol=0,
n_iter_no_change=E+1, random_state=0) on synthetic data of n = 20000 rows (a
standard normal X, the class from a fixed linear teacher plus noise), with
FASTMLP_KERNELS=blas and FASTMLP_KERNELS=auto (the variable is read when a fit
starts; it is set before each fit and restored at the end). For each setting a
warm-up fit of one epoch comes first; E is chosen from it so that a fit lasts about
0.5 s (1 to 20 epochs); the fastest of --fits fits is kept, the two settings
alternating. Time per batch = fit time / (E * ceil(n / 200)).

FLOPs per batch, those of the products actually done, with units
u = (inputs, *hidden, outputs) and m = 200:

    2 * m * sum(u[i] * u[i+1]) * 3  -  2 * m * u[0] * u[1]

(forward, weight gradient and delta back of every layer, less the delta back to the
input layer, which is not computed). A binary problem (2 classes) has one output
unit. Element-wise work (activations, loss, the optimizer step) is not counted.
GFLOP/s = FLOPs per batch / time per batch; "% GEMM" is the share of the GEMM rate
at the same thread count. Rows on one thread (threadpoolctl limit 1, which makes
fastmlp's team one thread: fastmlp/_threads.py) are marked "yes" when the auto
setting reaches 70% of it; the --threads rows (MNIST-sized and wide networks) when it
reaches 80% of the GEMM rate at that many threads.

Without fastmlp._kernels._gemm (not built), section "shapes" is skipped and the
"auto" columns of section "steps" measure the same BLAS path as "blas".

--quick is a smoke run: 4 layer shapes, 8 networks (and the --threads rows) on 4000
rows, one fit of at most 5 epochs per setting, sets of 1 ms, the GEMM rate of
1000 x 1000 matrices (best of 3); its numbers are rough.
"""

import argparse
import datetime
import itertools
import math
import os
import platform
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

if __package__:  # benchmarks.kernels, as asv collects the package
    from .common import FitMeter, busy_warning, fmt
    from .compare import cpu_model, fastmlp_source, gemm_rate, version
else:  # python benchmarks/kernels.py
    from common import FitMeter, busy_warning, fmt
    from compare import cpu_model, fastmlp_source, gemm_rate, version

BATCH = 200
SHAPES = [
    (20, 100),
    (40, 100),
    (100, 3),
    (100, 10),
    (100, 2),
    (784, 100),
    (100, 64),
    (64, 32),
    (32, 10),
    (256, 256),
    (784, 256),
    (256, 10),
    (40, 64),
    (800, 100),
]
QUICK_SHAPES = [(20, 100), (100, 10), (784, 100), (256, 256)]
OPS = ("forward", "weight grad", "delta back")
DTYPES = ("float64", "float32")
SET_SECONDS = 3e-3
QUICK_SET_SECONDS = 1e-3

HIDDEN = [(100,), (64, 32), (256, 256)]
INPUTS = [20, 40, 100, 784]
OUTPUTS = [2, 3, 10]
QUICK_HIDDEN = [(100,), (64, 32)]
QUICK_INPUTS = [20, 784]
QUICK_OUTPUTS = [10]
# The multi-thread rows: (name, inputs, hidden, classes).
THREADED = [("MNIST-sized", 784, (100,), 10), ("wide", 784, (256, 256), 10)]
KERNEL_SETTINGS = ("blas", "auto")
ROWS = 20_000
QUICK_ROWS = 4_000
FIT_SECONDS = 0.5
MAX_EPOCHS = 20
SINGLE_TARGET = 0.70
THREADED_TARGET = 0.80
ENV = "FASTMLP_KERNELS"
SHARE_SECONDS = 0.1  # "other CPU %" of a shorter fit is not shown


def load_gemm():
    """fastmlp._kernels._gemm, or None where it is not built."""
    try:
        from fastmlp._kernels import _gemm
    except ImportError:
        return None
    return _gemm


# ----------------------------------------------------------------------------
# Section "shapes": one product at a time.
# ----------------------------------------------------------------------------
def operands(op, k, n, dtype, rng, trans_b=True):
    """(A, B, C, keywords of product) of the product `op` of a layer of fan-in k,
    fan-out n at batch BATCH, and its (M, K, N): C is M x N, the inner dimension K.
    Delta back: W (k x n) with trans_b=True, or else W.T contiguous (n x k)."""
    m = BATCH

    def draw(*shape):
        return rng.standard_normal(shape).astype(dtype)

    if op == "forward":
        return (draw(m, k), draw(k, n), np.zeros((m, n), dtype), {}), (m, k, n)
    if op == "weight grad":
        return (draw(m, k), draw(m, n), np.zeros((k, n), dtype), {"trans_a": True}), (
            k,
            m,
            n,
        )
    W = draw(k, n)
    if trans_b:
        return (draw(m, n), W, np.zeros((m, k), dtype), {"trans_b": True}), (m, n, k)
    return (draw(m, n), np.ascontiguousarray(W.T), np.zeros((m, k), dtype), {}), (m, n, k)


def has_keyword(gemm, keyword, value):
    """Whether gemm.product takes `keyword` (an earlier build may not)."""
    a = np.ones((1, 1))
    try:
        gemm.product(a, a, a.copy(), kernel="blas", **{keyword: value})
    except TypeError:
        return False
    return True


def product_caller(gemm, A, B, C, keywords, kernel, repeat):
    """f(calls): `calls` products, in one call of product when `repeat`."""
    product = gemm.product
    if repeat:
        return lambda calls: product(A, B, C, kernel=kernel, repeat=calls, **keywords)

    def loop(calls):
        for _ in itertools.repeat(None, calls):
            product(A, B, C, kernel=kernel, **keywords)

    return loop


def seconds_per_call(func, set_seconds, sets):
    """Seconds per call of func: func(calls) makes `calls` calls (or products), in sets
    of about `set_seconds` each (the count found by doubling); the fastest of `sets`
    sets, divided by the calls per set."""

    def one_set(calls):
        start = time.perf_counter()
        func(calls)
        return time.perf_counter() - start

    calls, elapsed = 1, one_set(1)
    while elapsed < set_seconds / 4 and calls < 1 << 22:
        calls *= 2
        elapsed = one_set(calls)
    calls = max(1, round(calls * set_seconds / max(elapsed, 1e-9)))
    return min(one_set(calls) for _ in range(sets)) / calls


def call_overhead(gemm, dtype, set_seconds, sets):
    """{kernel: seconds} of product on 1 x 1 x 1 operands: the Python call's share."""
    a, b, c = (np.ones((1, 1), dtype) for _ in range(3))
    return {
        kernel: seconds_per_call(
            product_caller(gemm, a, b, c, {}, kernel, False), set_seconds, sets
        )
        for kernel in ("own", "blas")
    }


def auto_side(gemm, op, k, n, dtype):
    """ "own" or "blas": the side _gemm.choose takes for the product under
    FASTMLP_KERNELS=auto, None where the module has no choose."""
    choose = getattr(gemm, "choose", None)
    code = {"forward": "FORWARD", "weight grad": "WEIGHT_GRAD", "delta back": "DELTA"}[op]
    if choose is None or not hasattr(gemm, code):
        return None
    return (
        "own"
        if choose(getattr(gemm, code), k, n, np.dtype(dtype).itemsize, "auto")
        else "blas"
    )


def measure_shapes(gemm, shapes, set_seconds, sets, wt=False):
    """[row dict] for every dtype, shape and op; one thread. A row: shape, op, dtype,
    mkn, flops, own {isa: seconds}, blas seconds, auto (auto_side), mismatch (largest
    relative difference of an own result from BLAS's, where above the tolerance)."""
    isas = tuple(gemm.supported_isas())
    default = gemm.isa()
    repeat = has_keyword(gemm, "repeat", 1)
    trans_b = not wt and has_keyword(gemm, "trans_b", False)
    rows = []
    rng = np.random.default_rng(0)
    tolerance = {"float32": 1e-4, "float64": 1e-11}
    try:
        for dtype in DTYPES:
            for (k, n), op in itertools.product(shapes, OPS):
                (A, B, C, keywords), mkn = operands(op, k, n, dtype, rng, trans_b)
                reference = C.copy()
                gemm.product(A, B, reference, kernel="blas", **keywords)
                scale = float(np.abs(reference).max()) or 1.0
                own, worst = {}, 0.0
                for isa in isas:
                    gemm.set_isa(isa)
                    C[...] = np.nan
                    gemm.product(A, B, C, kernel="own", **keywords)
                    worst = max(worst, float(np.abs(C - reference).max()) / scale)
                    own[isa] = seconds_per_call(
                        product_caller(gemm, A, B, C, keywords, "own", repeat),
                        set_seconds,
                        sets,
                    )
                gemm.set_isa(default)
                blas = seconds_per_call(
                    product_caller(gemm, A, B, C, keywords, "blas", repeat),
                    set_seconds,
                    sets,
                )
                rows.append(
                    {
                        "shape": (k, n),
                        "op": op,
                        "dtype": dtype,
                        "mkn": mkn,
                        "flops": 2.0 * mkn[0] * mkn[1] * mkn[2],
                        "own": own,
                        "blas": blas,
                        "auto": auto_side(gemm, op, k, n, dtype),
                        "mismatch": None if worst <= tolerance[dtype] else worst,
                    }
                )
    finally:
        gemm.set_isa(default)
    return rows, repeat, trans_b


def shapes_table(rows, isas, default, gemm1):
    """Markdown table of measure_shapes' rows; gemm1: {dtype: single-thread GFLOP/s}."""
    own_columns = [
        f"GFLOP/s own {isa}" + (" (default)" if isa == default and len(isas) > 1 else "")
        for isa in isas
    ]
    columns = [
        "shape (k, n)",
        "op",
        "M x K x N",
        "dtype",
        *own_columns,
        "GFLOP/s OpenBLAS",
        "own/BLAS",
        "% GEMM own",
        "% GEMM BLAS",
        "auto uses",
    ]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        rate = {isa: row["flops"] / s / 1e9 for isa, s in row["own"].items()}
        blas = row["flops"] / row["blas"] / 1e9
        own = rate[default]
        cells = [
            f"({row['shape'][0]}, {row['shape'][1]})",
            row["op"],
            " x ".join(map(str, row["mkn"])),
            row["dtype"],
            *(fmt(rate[isa], ".1f") for isa in isas),
            fmt(blas, ".1f"),
            f"{own / blas:.2f}",
            fmt(100 * own / gemm1[row["dtype"]], ".0f"),
            fmt(100 * blas / gemm1[row["dtype"]], ".0f"),
            row["auto"] or "-",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def shapes_section(gemm, shapes, set_seconds, sets, gemm1, wt=False):
    isas = tuple(gemm.supported_isas())
    default = gemm.isa()
    with threadpool_limits(1), FitMeter() as meter:
        overhead = {
            dtype: call_overhead(gemm, dtype, set_seconds, sets) for dtype in DTYPES
        }
        rows, repeat, trans_b = measure_shapes(gemm, shapes, set_seconds, sets, wt)
    cost = ", ".join(
        f"{dtype} own {1e6 * o['own']:.2f} us, blas {1e6 * o['blas']:.2f} us"
        for dtype, o in overhead.items()
    )
    how = (
        "products repeated inside one call (repeat=), no Python call in the times"
        if repeat
        else "a Python call per product, its cost included in the times"
    )
    delta = "product(D, W, C, trans_b=True)" if trans_b else "product(D, WT, C)"
    lines = [
        f"Products of a training step at batch {BATCH}, one thread, hot cache "
        f"(best of {sets} sets of ~{1e3 * set_seconds:.0f} ms; {how}; delta back as "
        f"{delta}). Own kernels at {', '.join(isas)} (default {default}). One Python "
        f"call of product (1 x 1 x 1) costs: {cost}.",
        "",
        shapes_table(rows, isas, default, gemm1),
    ]
    bad = [row for row in rows if row["mismatch"] is not None]
    if bad:
        lines += [
            "",
            "Own results differing from BLAS's: "
            + "; ".join(
                f"({r['shape'][0]}, {r['shape'][1]}) {r['op']} {r['dtype']}: relative "
                f"{r['mismatch']:.1e}"
                for r in bad
            ),
        ]
    ratios = [row["blas"] / row["own"][default] for row in rows]
    lines += [
        "",
        f"own/BLAS over the {len(rows)} rows: geometric mean "
        f"{math.exp(np.mean(np.log(ratios))):.2f}, min {min(ratios):.2f}, "
        f"max {max(ratios):.2f}; own faster in {sum(r > 1 for r in ratios)}.",
    ]
    if meter.other_cpu is not None:
        lines.append(
            f"Other processes used {100 * meter.other_cpu:.0f}% of the CPUs "
            f"during these {meter.seconds:.0f} s."
        )
    return "\n".join(lines)


# ----------------------------------------------------------------------------
# Section "steps": fits of MLPClassifier, time per mini-batch.
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """One network of the training-step table."""

    hidden: tuple
    inputs: int
    classes: int  # 2: binary, one output unit
    dtype: str
    threads: int = 1
    name: str = ""

    @property
    def units(self):
        return (self.inputs, *self.hidden, 1 if self.classes == 2 else self.classes)

    def flops(self, m=BATCH):
        """FLOPs of the products of one step at batch m (see the module docstring)."""
        units = self.units
        total = sum(a * b for a, b in itertools.pairwise(units))
        return 2.0 * m * total * 3 - 2.0 * m * units[0] * units[1]


def step_configs(quick, threads):
    hidden, inputs, outputs = (
        (QUICK_HIDDEN, QUICK_INPUTS, QUICK_OUTPUTS) if quick else (HIDDEN, INPUTS, OUTPUTS)
    )
    steps = [
        Step(h, k, c, dtype)
        for dtype in DTYPES
        for h, k, c in itertools.product(hidden, inputs, outputs)
    ]
    if threads > 1:
        steps += [
            Step(h, k, c, dtype, threads, name)
            for name, k, h, c in THREADED
            for dtype in DTYPES
        ]
    return steps


_DATA = {}


def step_data(n, inputs, classes, dtype):
    """X (n x inputs, standard normal) and y (argmax of a fixed linear teacher plus
    noise), cached."""
    key = (n, inputs, classes)
    if key not in _DATA:
        rng = np.random.default_rng(0)
        X = rng.standard_normal((n, inputs))
        scores = X @ rng.standard_normal((inputs, classes))
        scores = scores / scores.std() + 0.3 * rng.standard_normal((n, classes))
        _DATA.clear()  # one data set at a time: the 784-column ones are large
        _DATA[key] = (X, np.argmax(scores, axis=1))
    X, y = _DATA[key]
    return X.astype(dtype, copy=False), y


def classifier(step, epochs):
    from fastmlp import MLPClassifier

    return MLPClassifier(
        step.hidden,
        batch_size=BATCH,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        random_state=0,
    )


def timed_fit(step, setting, epochs, X, y):
    """(seconds, other processes' CPU share) of one fit of `epochs` epochs with
    FASTMLP_KERNELS=setting."""
    os.environ[ENV] = setting
    model = classifier(step, epochs)
    with FitMeter() as meter:
        model.fit(X, y)
    assert model.n_iter_ == epochs, (model.n_iter_, epochs)
    # The CPU counters tick every 10 ms: over a shorter fit the share says nothing.
    return meter.seconds, meter.other_cpu if meter.seconds >= SHARE_SECONDS else None


def measure_step(step, n, fits, fit_target, max_epochs, settings=KERNEL_SETTINGS):
    """{"epochs": E, setting: seconds per batch, "other_cpu": {setting: share during
    the kept fit}} of one network (see the module docstring)."""
    from sklearn.exceptions import ConvergenceWarning

    X, y = step_data(n, step.inputs, step.classes, step.dtype)
    batches = math.ceil(n / BATCH)
    saved = os.environ.get(ENV)
    try:
        with threadpool_limits(step.threads), warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warm = min(timed_fit(step, setting, 1, X, y)[0] for setting in settings)
            epochs = int(min(max_epochs, max(1, round(fit_target / warm))))
            best = dict.fromkeys(settings, (math.inf, None))
            for i in range(fits):
                for setting in settings if i % 2 == 0 else settings[::-1]:
                    best[setting] = min(
                        best[setting],
                        timed_fit(step, setting, epochs, X, y),
                        key=lambda kept: kept[0],
                    )
    finally:
        if saved is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = saved
    return {
        "epochs": epochs,
        **{s: best[s][0] / (epochs * batches) for s in settings},
        "other_cpu": {s: best[s][1] for s in settings},
    }


def steps_table(steps, results, gemm_rates):
    """Markdown table; gemm_rates: {(dtype, threads): GFLOP/s}."""
    columns = [
        "network",
        "inputs",
        "classes",
        "dtype",
        "threads",
        "MFLOP/batch",
        "epochs",
        "us/batch blas",
        "us/batch auto",
        "auto/blas speed-up",
        "GFLOP/s blas",
        "GFLOP/s auto",
        "% GEMM blas",
        "% GEMM auto",
        "meets",
        "other CPU %",
    ]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    met = 0
    for step in steps:
        res = results[step]
        flops = step.flops()
        rate = {s: flops / res[s] / 1e9 for s in KERNEL_SETTINGS}
        share = {s: rate[s] / gemm_rates[step.dtype, step.threads] for s in KERNEL_SETTINGS}
        target = SINGLE_TARGET if step.threads == 1 else THREADED_TARGET
        meets = share["auto"] >= target
        met += meets
        network = str(tuple(step.hidden)).replace(" ", "")
        if step.name:
            network = f"{step.name} {network}"
        classes = f"{step.classes} (1 unit)" if step.classes == 2 else str(step.classes)
        cells = [
            network,
            str(step.inputs),
            classes,
            step.dtype,
            str(step.threads),
            f"{flops / 1e6:.2f}",
            str(res["epochs"]),
            *(f"{1e6 * res[s]:.1f}" for s in KERNEL_SETTINGS),
            f"{res['blas'] / res['auto']:.2f}x",
            *(f"{rate[s]:.1f}" for s in KERNEL_SETTINGS),
            *(f"{100 * share[s]:.0f}" for s in KERNEL_SETTINGS),
            f"yes (>= {target:.0%})" if meets else "",
            " / ".join(
                fmt(None if share is None else 100 * share, ".0f")
                for share in res["other_cpu"].values()
            ),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines), met


def steps_section(steps, n, fits, fit_target, max_epochs, gemm_rates, own_built):
    results = {}
    for i, step in enumerate(steps, 1):
        start = time.perf_counter()
        results[step] = measure_step(step, n, fits, fit_target, max_epochs)
        print(
            f"[{i}/{len(steps)}] {step.hidden} {step.inputs} inputs {step.classes} "
            f"classes {step.dtype} {step.threads} thread(s): "
            f"{time.perf_counter() - start:.1f} s",
            file=sys.stderr,
            flush=True,
        )
    table, met = steps_table(steps, results, gemm_rates)
    warning = busy_warning(
        (share for res in results.values() for share in res["other_cpu"].values()),
        "a kept fit",
    )
    note = (
        ""
        if own_built
        else (
            " fastmlp._kernels._gemm is not built: the auto "
            "columns measure the same BLAS path as blas."
        )
    )
    lines = [
        f"Training step at batch {BATCH} (MLPClassifier, adam, n = {n} rows, best of "
        f"{fits} fits of E epochs per setting of {ENV}; other CPU %: the share of the "
        f"CPUs other processes used during the kept fits, blas / auto).{note}",
        "",
        table,
        "",
        f"Rows whose auto setting meets its share of the GEMM rate: {met} "
        f"of {len(steps)} (70% on one thread, 80% on more).",
    ]
    if warning:
        lines.append(warning)
    return "\n".join(lines)


# ----------------------------------------------------------------------------
# Report.
# ----------------------------------------------------------------------------
def header(gemm):
    versions = [f"Python {platform.python_version()}"]
    for dist in ("numpy", "scipy", "scikit-learn", "threadpoolctl", "fastmlp"):
        v = version(dist)
        if v is not None:
            versions.append(f"{dist} {v}")
    import scipy.linalg  # noqa: F401  (loads SciPy's BLAS for the listing)

    blas = sorted(
        {
            f"{i['internal_api']} {i['version']} {i.get('architecture') or ''}"
            for i in threadpool_info()
            if i.get("user_api") == "blas"
        }
    )
    if gemm is None:
        own = "own kernels: not built"
    else:
        own = f"own kernels: {gemm.isa()} (supported: {', '.join(gemm.supported_isas())})"
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{date} | {cpu_model()} ({os.cpu_count()} CPUs) | {', '.join(versions)} | "
        f"fastmlp from {fastmlp_source()} | BLAS {'; '.join(blas)} | {own}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--threads",
        type=int,
        default=2,
        help="threads of the MNIST-sized and wide rows of section steps "
        "(default 2; 1 leaves them out)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer shapes and networks, short timings (a smoke run)",
    )
    parser.add_argument(
        "--sections",
        default="shapes,steps",
        help="comma-separated: shapes, steps (default both)",
    )
    parser.add_argument(
        "--isa",
        default=None,
        help="force the own kernels' instruction set (_gemm.set_isa) for "
        "section steps and the default columns of section shapes",
    )
    parser.add_argument(
        "--wt",
        action="store_true",
        help="section shapes: delta back as product(D, WT, C) with WT = W.T "
        "contiguous instead of product(D, W, C, trans_b=True)",
    )
    parser.add_argument(
        "--sets",
        type=int,
        default=None,
        help="section shapes: timing sets per product, the fastest kept "
        "(default 30; 5 with --quick)",
    )
    parser.add_argument(
        "--fits",
        type=int,
        default=None,
        help="section steps: fits per network and setting, the fastest "
        "kept (default 3; 1 with --quick)",
    )
    args = parser.parse_args(argv)
    sections = set(args.sections.split(","))
    unknown = sections - {"shapes", "steps"}
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")

    import scipy.linalg  # noqa: F401  (SciPy's BLAS loaded before any thread limit)

    import fastmlp  # noqa: F401

    gemm = load_gemm()
    if args.isa is not None:
        if gemm is None:
            parser.error("--isa: fastmlp._kernels._gemm is not built")
        gemm.set_isa(args.isa)
    started = time.perf_counter()
    quick = args.quick
    gemm_size, gemm_repeats = (1000, 3) if quick else (2000, 5)
    thread_counts = [1] + (
        [args.threads] if args.threads > 1 and "steps" in sections else []
    )
    rates = {
        (dtype, t): gemm_rate(dtype, t, size=gemm_size, repeats=gemm_repeats)
        for dtype in DTYPES
        for t in thread_counts
    }

    print(header(gemm))
    print()
    print(
        f"GEMM rate (numpy matmul {gemm_size}x{gemm_size}, best of {gemm_repeats}): "
        + ", ".join(
            f"{dtype} {t} thread{'s' * (t > 1)} {rates[dtype, t]:.1f} GFLOP/s"
            for (dtype, t) in rates
        )
    )
    print()
    if "shapes" in sections:
        if gemm is None:
            print("Section shapes skipped: fastmlp._kernels._gemm is not built.")
        else:
            set_seconds = QUICK_SET_SECONDS if quick else SET_SECONDS
            sets = args.sets or (5 if quick else 30)
            gemm1 = {dtype: rates[dtype, 1] for dtype in DTYPES}
            print(
                shapes_section(
                    gemm,
                    QUICK_SHAPES if quick else SHAPES,
                    set_seconds,
                    sets,
                    gemm1,
                    args.wt,
                )
            )
        print()
    if "steps" in sections:
        fits = args.fits or (1 if quick else 3)
        steps = step_configs(quick, args.threads)
        n = QUICK_ROWS if quick else ROWS
        fit_target, max_epochs = (0.1, 5) if quick else (FIT_SECONDS, MAX_EPOCHS)
        print(
            steps_section(steps, n, fits, fit_target, max_epochs, rates, gemm is not None)
        )
        print()
    print(f"Total wall time {time.perf_counter() - started:.0f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
