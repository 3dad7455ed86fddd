"""Small data: per-call costs of fastmlp and scikit-learn, a section of compare.py.

    python benchmarks/compare.py --only small-data           # this section alone
    python benchmarks/compare.py --only small-data --quick   # fewer repetitions
    python benchmarks/compare.py --no-small-data             # every section but this one

On small tabular data the cost of a call is mostly its fixed part (checking the
input, allocating, starting threads, Python around the arithmetic), not the
arithmetic. Measured on scikit-learn's digits (load_digits, X / 16: 1797 x 64,
10 classes), with MLPClassifier(hidden_layer_sizes=(64, 32), random_state=0) and
adam's defaults (batch_size 200); tol=0 and n_iter_no_change > max_iter, so that
every fit runs all of its epochs. The regressor rows use MLPRegressor with the same
network on digits' y as a float target. Rows:

    predict / predict_proba     on the classifier of the kept 40-epoch fit, best of
                                --calls-many calls (a fifth of that for 1797 rows)
    regressor predict           on a regressor after one partial_fit over digits
    partial_fit                 on a model that had a first partial_fit over digits
                                (classes given there); every timed call updates it
    fit, 1 epoch                max_iter=1: the fixed cost of a fit (best of --calls / 10)
    cross_val_score             cross_val_score(est, X, y, cv=5), max_iter=30
    fit, 40 epochs              max_iter=40, without and with early_stopping (10% of
                                the rows held out, scored after every epoch)
    fit, per epoch              (t(40 epochs) - t(1 epoch)) / 39: the cost of one more
                                epoch, without the fixed cost

The fits of cross_val_score and of 40 epochs are timed as the fits of the main table:
the fastest of --fits, repeated while other processes keep the CPUs busy. Both dtypes
(float32, float64); the same BLAS thread limit for both libraries. Every round makes,
for each dtype and library, all the measurements in one fresh child process, every
other round in the reverse library order; each measurement keeps its fastest time
over the rounds. "other CPU %" is the share of the machine's CPUs that other
processes used during the kept measurement (during the whole block of calls for the
best-of-N rows), fastmlp's / scikit-learn's. PyTorch has no counterpart of these
calls and is not measured here.
"""

import sys
import time
from dataclasses import dataclass

if __package__:  # benchmarks.small_data, as asv collects the package
    from .common import (
        DIGITS_CLASSES,
        DTYPES,
        LONG_EPOCHS,
        FitMeter,
        bench_context,
        best_of,
        busy_warning,
        digits_data,
        digits_params,
        fmt,
        fmt_ratio,
        fmt_required,
        measured_fit,
        run_in_child,
        target_status,
    )
else:  # imported by python benchmarks/compare.py
    from common import (
        DIGITS_CLASSES,
        DTYPES,
        LONG_EPOCHS,
        FitMeter,
        bench_context,
        best_of,
        busy_warning,
        digits_data,
        digits_params,
        fmt,
        fmt_ratio,
        fmt_required,
        measured_fit,
        run_in_child,
        target_status,
    )

KEY = "small-data"  # compare.py --only key of the section
LIBRARIES = ("fastmlp", "sklearn")
LIBRARY_NAMES = {"fastmlp": "fastmlp", "sklearn": "scikit-learn"}
SHORT = {"float32": "f32", "float64": "f64"}
PRELOAD = ["sklearn.datasets", "sklearn.model_selection"]  # for the forkserver
CALLS = 200  # best of this many calls per call row (a fifth for 1797 rows)
QUICK_CALLS = 20
BLOCK_SECONDS = 0.3  # and of as many more as fit in this time (0 with --quick)
SHARE_SECONDS = 0.1  # "other CPU %" of a shorter block is not shown (10 ms CPU ticks)
CV_EPOCHS = 30


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    target: float = None  # required speed-up vs scikit-learn, None: no target
    of: tuple = ()  # derived: (key of the 40-epoch fit, key of the 1-epoch fit)


ROWS = [
    Row("predict-1", "predict, 1 row", 2.0),
    Row("proba-1", "predict_proba, 1 row", 2.0),
    Row("proba-10", "predict_proba, 10 rows", 2.0),
    Row("predict-all", "predict, 1797 rows", 2.0),
    Row("partial-1", "partial_fit, 1 row", 2.0),
    Row("partial-32", "partial_fit, 32 rows", 2.0),
    Row("reg-predict-1", "regressor predict, 1 row", 2.0),
    Row("reg-predict-all", "regressor predict, 1797 rows", 2.0),
    Row("reg-partial-1", "regressor partial_fit, 1 row", 2.0),
    Row("reg-partial-32", "regressor partial_fit, 32 rows", 2.0),
    Row("fit-1", "fit, 1 epoch", 4.0),
    Row("fit-1-es", "fit, 1 epoch, early_stopping"),
    Row("cv", f"cross_val_score, cv=5, {CV_EPOCHS} epochs", 5.0),
    Row("fit-40", f"fit, {LONG_EPOCHS} epochs", 6.0),
    Row("fit-40-es", f"fit, {LONG_EPOCHS} epochs, early_stopping", 6.0),
    Row(
        "epoch",
        f"fit, per epoch: (t({LONG_EPOCHS}) - t(1)) / {LONG_EPOCHS - 1}",
        of=("fit-40", "fit-1"),
    ),
    Row("epoch-es", "fit, per epoch, early_stopping", of=("fit-40-es", "fit-1-es")),
]


# ----------------------------------------------------------------------------
# Child process: one library, one dtype, every measurement.
# ----------------------------------------------------------------------------
def measure(library, dtype, opts):
    """{row key: {"s": seconds, "other_cpu": share}} of one library and dtype.
    opts: threads, calls and block_s (best of `calls` calls per call row, or of as many
    as fit in block_s seconds), fits and retries (see measured_fit)."""
    if library == "fastmlp":
        from fastmlp import MLPClassifier, MLPRegressor
    else:
        from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.model_selection import cross_val_score

    X, y = digits_data(dtype)
    y_float = y.astype(dtype)
    results = {}

    def keep(key, seconds, share, block_seconds):
        results[key] = {
            "s": seconds,
            "other_cpu": share if block_seconds >= SHARE_SECONDS else None,
        }

    def best_call(key, func, calls):
        func()  # warm-up
        with FitMeter() as meter:
            seconds = best_of(calls, func, opts["block_s"])
        keep(key, seconds, meter.other_cpu, meter.seconds)

    def fit_once(fit):
        with FitMeter() as meter:
            fitted = fit()
        return meter, fitted

    def kept_fit(key, fit):
        res, fitted = measured_fit(lambda: fit_once(fit), opts["fits"], opts["retries"])
        keep(key, res["fit_s"], res["other_cpu"], res["fit_s"])
        return fitted

    def classifier(max_iter, early_stopping=False):
        return MLPClassifier(**digits_params(max_iter, early_stopping))

    calls = opts["calls"]
    with bench_context(opts["threads"]):
        models = {}
        for suffix, early_stopping in (("", False), ("-es", True)):
            best_call(
                f"fit-1{suffix}",
                lambda: classifier(1, early_stopping).fit(X, y),
                max(calls // 10, 2),
            )
            models[early_stopping] = kept_fit(
                f"fit-40{suffix}", lambda: classifier(LONG_EPOCHS, early_stopping).fit(X, y)
            )
        kept_fit("cv", lambda: cross_val_score(classifier(CV_EPOCHS), X, y, cv=5))

        fitted = models[False]
        regressor = MLPRegressor(**digits_params(1)).partial_fit(X, y_float)
        for prefix, model in (("", fitted), ("reg-", regressor)):
            best_call(f"{prefix}predict-1", lambda: model.predict(X[:1]), calls)
            best_call(f"{prefix}predict-all", lambda: model.predict(X), max(calls // 5, 2))
        best_call("proba-1", lambda: fitted.predict_proba(X[:1]), calls)
        best_call("proba-10", lambda: fitted.predict_proba(X[:10]), calls)

        learner = classifier(1).partial_fit(X, y, classes=DIGITS_CLASSES)
        for prefix, model, target in (("", learner, y), ("reg-", regressor, y_float)):
            for rows in (1, 32):
                best_call(
                    f"{prefix}partial-{rows}",
                    lambda: model.partial_fit(X[:rows], target[:rows]),
                    calls,
                )
    return results


# ----------------------------------------------------------------------------
# Parent: rounds, report.
# ----------------------------------------------------------------------------
def run(ctx, opts, rounds):
    """Measure the section `rounds` times; {(library, dtype): results of measure(), or
    {"error": ...}}, each measurement the fastest over the rounds."""
    measured = {}
    for round_ in range(rounds):
        # Every other round in the reverse library order.
        order = LIBRARIES if round_ % 2 == 0 else LIBRARIES[::-1]
        for dtype in DTYPES:
            for library in order:
                start = time.perf_counter()
                res = run_in_child(ctx, measure, library, dtype, opts)
                measured[library, dtype] = merge_rounds(measured.get((library, dtype)), res)
                print(
                    f"[round {round_ + 1}/{rounds}] {KEY}-{SHORT[dtype]} {library}: "
                    f"{res.get('error', f'{time.perf_counter() - start:.1f} s')}",
                    file=sys.stderr,
                    flush=True,
                )
    return measured


def merge_rounds(kept, new):
    """The faster of two rounds' times, measurement by measurement."""
    if kept is None or "error" in kept:
        return new
    if "error" in new:
        return kept
    return {key: min(kept[key], new[key], key=lambda res: res["s"]) for key in kept}


def seconds(measured, library, dtype, row):
    """Seconds of `row` for one library and dtype, None where unknown."""
    res = measured.get((library, dtype))
    if res is None or "error" in res:
        return None
    if row.of:
        longer, one = (res[key]["s"] for key in row.of)
        per_epoch = (longer - one) / (LONG_EPOCHS - 1)
        return per_epoch if per_epoch > 0 else None
    return res[row.key]["s"]


def speedup(measured, dtype, row):
    ours, theirs = (seconds(measured, library, dtype, row) for library in LIBRARIES)
    return None if ours is None or theirs is None else theirs / ours


def fmt_seconds(value):
    if value is None:
        return "-"
    if value < 1e-3:
        return f"{1e6 * value:.0f} us"
    return f"{1e3 * value:.2f} ms" if value < 1.0 else f"{value:.3f} s"


def other_cpu(measured, library, dtype, row):
    res = measured.get((library, dtype))
    if row.of or res is None or "error" in res:
        return None
    share = res[row.key]["other_cpu"]
    return None if share is None else 100 * share


def table(measured):
    columns = [
        "call (digits 1797x64, (64,32))",
        "dtype",
        *LIBRARY_NAMES.values(),
        "vs sklearn",
        "other CPU %",
    ]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in ROWS:
        for dtype in DTYPES:
            times = [
                fmt_seconds(seconds(measured, library, dtype, row)) for library in LIBRARIES
            ]
            shares = " / ".join(
                fmt(other_cpu(measured, library, dtype, row), ".0f")
                for library in LIBRARIES
            )
            cells = [
                row.label,
                dtype,
                *times,
                fmt_ratio(speedup(measured, dtype, row)),
                "-" if row.of else shares,
            ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def targets(measured):
    lines = [
        "| target: fastmlp vs scikit-learn | float32 | float64 | required | status |",
        "|---|---|---|---|---|",
    ]
    for row in ROWS:
        if row.target is None:
            continue
        ratios = [speedup(measured, dtype, row) for dtype in DTYPES]
        cells = [
            row.label,
            *map(fmt_ratio, ratios),
            fmt_required(row.target),
            target_status(ratios, row.target),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def report(measured, opts, rounds, quick):
    """The section as printed by compare.py: a title, the table, the targets."""
    how = (
        f"best of {opts['calls']} calls, fits of 1 epoch best of "
        f"{max(opts['calls'] // 10, 2)}, cross_val_score and {LONG_EPOCHS} epochs best "
        f"of {opts['fits']}; the fastest over {rounds} round{'s' * (rounds > 1)}"
    )
    lines = [
        f"Small data: per-call costs (fastmlp vs scikit-learn; {how}; BLAS threads "
        f"{opts['threads']}):",
        "",
        table(measured),
        "",
    ]
    warning = busy_warning(
        (
            res["other_cpu"]
            for by_key in measured.values()
            if "error" not in by_key
            for res in by_key.values()
        ),
        "a measurement",
    )
    if warning:
        lines += [warning, ""]
    errors = [
        f"{LIBRARY_NAMES[library]} {dtype}: {res['error']}"
        for (library, dtype), res in measured.items()
        if "error" in res
    ]
    if errors:
        lines += ["Errors: " + "; ".join(errors), ""]
    title = "Small-data targets"
    if quick:
        title += " (quick mode: fewer repetitions, noisier numbers)"
    lines += [f"{title}:", "", targets(measured)]
    return "\n".join(lines)


def failed(measured):
    """[(section key, library)] of the children that failed."""
    return [
        (f"{KEY}-{SHORT[dtype]}", library)
        for (library, dtype), res in measured.items()
        if "error" in res
    ]
