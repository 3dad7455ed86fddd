"""Hyper-parameter searches: fastmlp.model_selection against scikit-learn's
searches, a section of compare.py.

    python benchmarks/compare.py --only search            # this section alone
    python benchmarks/compare.py --only search --quick    # smaller grids, one round

Each search is a Pipeline(StandardScaler(), MLP(random_state=0)) searched with
GridSearchCV(cv=5) (refit=True, accuracy), timed whole (fit of the search):

    scikit-learn        scikit-learn's MLPClassifier in scikit-learn's
                        GridSearchCV, n_jobs=1 and n_jobs=2
    fastmlp, one by one fastmlp's MLPClassifier in scikit-learn's GridSearchCV,
                        n_jobs=1 and n_jobs=2 (each fit alone, as today)
    fastmlp, together   fastmlp's MLPClassifier in fastmlp.model_selection's
                        GridSearchCV (n_jobs=None: the models of the search
                        trained together on the process's threads)

Grids (the same three as in the search issue's table):

    tabular         make_classification 10000 x 30, 3 classes; hidden (64,),
                    (128,), (64, 32) x alpha 1e-4, 1e-3, 1e-2 x
                    learning_rate_init 1e-3, 3e-3; max_iter=30: 90 fits
    breast-cancer   load_breast_cancer (569 x 30); hidden (32,), (64,), (64, 32)
                    x alpha 1e-4, 1e-2 x learning_rate_init 1e-3, 1e-2;
                    max_iter=40: 60 fits
    digits          load_digits (1797 x 64) / 16, the same grid: 60 fits
    cv-digits       cross_val_score(MLPClassifier((64, 32), max_iter=30), cv=5)
                    on digits: scikit-learn's function vs fastmlp's

"FLOP limit": the arithmetic the search does (every fit's epochs x training
rows x 6 per weight, as the engine counts a forward and backward pass, and the
refit) at the rate of one float64 GEMM (2000 x 2000, numpy, --threads BLAS
threads, the best of 5) measured in the same children, the highest rate of the
rounds kept; "% of limit" = that time / fastmlp's
together time.  Every variant runs in a fresh child process, the fastest of
--rounds rounds in alternating order kept; "peak MB" is the child's peak
resident memory above what it had after importing and loading the data.
"""

import time

import numpy as np

if __package__:
    from .common import fmt, fmt_ratio, peak_rss_bytes, run_in_child
else:
    from common import fmt, fmt_ratio, peak_rss_bytes, run_in_child

KEY = "search"
PRELOAD = ["sklearn.model_selection", "sklearn.pipeline", "sklearn.preprocessing",
           "sklearn.datasets"]  # fmt: skip
VARIANTS = ("sklearn-1", "sklearn-2", "fastmlp-1", "fastmlp-2", "together")
VARIANT_NAMES = {
    "sklearn-1": "scikit-learn n_jobs=1",
    "sklearn-2": "scikit-learn n_jobs=2",
    "fastmlp-1": "fastmlp one by one n_jobs=1",
    "fastmlp-2": "fastmlp one by one n_jobs=2",
    "together": "fastmlp.model_selection",
}
SMALL_GRID = {
    "mlp__hidden_layer_sizes": [(32,), (64,), (64, 32)],
    "mlp__alpha": [1e-4, 1e-2],
    "mlp__learning_rate_init": [1e-3, 1e-2],
}
GRIDS = {
    "tabular": (
        "10000x30, 3 classes, 90 fits",
        {
            "mlp__hidden_layer_sizes": [(64,), (128,), (64, 32)],
            "mlp__alpha": [1e-4, 1e-3, 1e-2],
            "mlp__learning_rate_init": [1e-3, 3e-3],
        },
        30,
    ),
    "breast-cancer": ("breast cancer 569x30, 60 fits", SMALL_GRID, 40),
    "digits": ("digits 1797x64, 60 fits", SMALL_GRID, 40),
    "cv-digits": ("digits cross_val_score cv=5, (64, 32), 30 epochs", None, 30),
}
QUICK_ROWS = 2000  # --quick: the tabular grid on this many rows


def data(name, quick):
    from sklearn.datasets import load_breast_cancer, load_digits, make_classification

    if name == "tabular":
        n = QUICK_ROWS if quick else 10_000
        return make_classification(n_samples=n, n_features=30, n_informative=15,
                                   n_classes=3, random_state=0)  # fmt: skip
    if name == "breast-cancer":
        return load_breast_cancer(return_X_y=True)
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def _pipeline(library, max_iter, **params):
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    if library == "sklearn":
        from sklearn.neural_network import MLPClassifier
    else:
        from fastmlp import MLPClassifier
    model = MLPClassifier(max_iter=max_iter, random_state=0, **params)
    return Pipeline([("scale", StandardScaler()), ("mlp", model)])


def _run(name, variant, X, y, max_iter, grid):
    """One timed search (or cross_val_score) of `variant`; the fitted search."""
    import warnings

    from sklearn import model_selection as skms
    from sklearn.exceptions import ConvergenceWarning

    from fastmlp import model_selection as fms

    library = "sklearn" if variant.startswith("sklearn") else "fastmlp"
    module = fms if variant == "together" else skms
    n_jobs = 2 if variant.endswith("-2") else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if grid is None:
            est = _pipeline(library, max_iter, hidden_layer_sizes=(64, 32))
            return module.cross_val_score(est, X, y, cv=5, n_jobs=n_jobs)
        search = module.GridSearchCV(_pipeline(library, max_iter), grid, cv=5,
                                     n_jobs=n_jobs)  # fmt: skip
        return search.fit(X, y)


def flops(name, X, y, max_iter, grid):
    """Floating-point operations of the search's fits as fastmlp trains them
    (epochs x rows x 6 per weight), refit included."""
    import warnings

    from sklearn.base import clone
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import ParameterGrid, StratifiedKFold

    from fastmlp import model_selection as fms

    def per_row(model):
        units = [model.coefs_[0].shape[0]] + [c.shape[1] for c in model.coefs_]
        return 6.0 * sum(a * b for a, b in zip(units, units[1:]))

    total = 0.0
    candidates = (
        [{"mlp__hidden_layer_sizes": (64, 32)}] if grid is None else ParameterGrid(grid)
    )
    folds = list(StratifiedKFold(5).split(X, y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for params in candidates:
            est = _pipeline("fastmlp", max_iter).set_params(**params)
            fitted = fms.cross_validate(est, X, y, cv=folds, return_estimator=True)
            for pipe, (train, _) in zip(fitted["estimator"], folds):
                model = pipe[-1]
                total += model.n_iter_ * len(train) * per_row(model)
        if grid is not None:  # the refit of the best candidate
            search = _run(name, "together", X, y, max_iter, grid)
            model = clone(search.best_estimator_).fit(X, y)[-1]
            total += model.n_iter_ * len(X) * per_row(model)
    return total


def child(name, variant, quick, threads, with_flops):
    """In a fresh process: {"seconds", "peak_mb", "score", "flops", "gemm"}."""
    from threadpoolctl import threadpool_limits

    _, grid, max_iter = GRIDS[name]
    X, y = data("digits" if name == "cv-digits" else name, quick)
    with threadpool_limits(threads):
        # a small warm-up: imports, the first call's set-ups
        _run(name, variant, X[:200], y[:200], 2, None)
        base = peak_rss_bytes()
        start = time.perf_counter()
        result = _run(name, variant, X, y, max_iter, grid)
        seconds = time.perf_counter() - start
        peak = peak_rss_bytes()
        out = {"seconds": seconds,
               "peak_mb": None if peak is None else (peak - base) / 2**20}  # fmt: skip
        out["score"] = (float(np.mean(result)) if grid is None
                        else float(result.best_score_))  # fmt: skip
        if with_flops:
            out["flops"] = flops(name, X, y, max_iter, grid)
        if variant == "together":
            A = np.random.RandomState(0).standard_normal((2000, 2000))
            A @ A
            best = min(_timed(lambda: A @ A) for _ in range(5))
            out["gemm"] = 2 * 2000**3 / best
    # joblib's worker processes (n_jobs=2) would otherwise keep this child
    # alive until their idle timeout
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)
    return out


def _timed(call):
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def run(ctx, opts, rounds):
    """({name: {variant: result}}, {name: {"flops", "gemm"}}): each variant's
    fastest of `rounds` rounds; the search's FLOPs (counted in the first
    round) and the highest GEMM rate of the rounds (the least busy moment)."""
    names = opts.get("names") or list(GRIDS)
    kept = {name: {} for name in names}
    limits = {name: {} for name in names}
    for round_ in range(rounds):
        for name in names:
            variants = [
                v for v in VARIANTS if not (name == "cv-digits" and v.endswith("-2"))
            ]
            if round_ % 2:
                variants = variants[::-1]
            for variant in variants:
                with_flops = variant == "together" and round_ == 0
                res = run_in_child(ctx, child, name, variant, opts["quick"],
                                   opts["threads"], with_flops)  # fmt: skip
                limit = limits[name]
                if "flops" in res:
                    limit["flops"] = res["flops"]
                if "gemm" in res:
                    limit["gemm"] = max(res["gemm"], limit.get("gemm", 0.0))
                old = kept[name].get(variant)
                if "error" in res or old is None or res["seconds"] < old["seconds"]:
                    kept[name][variant] = res
    return kept, limits


def _seconds(res):
    return None if res is None or "error" in res else res["seconds"]


def report(kept, limits, opts, rounds):
    lines = [
        "## Hyper-parameter searches: fastmlp.model_selection vs scikit-learn's searches",
        "",
        f"Pipeline(StandardScaler(), MLPClassifier(random_state=0)), GridSearchCV(cv=5), "
        f"{opts['threads']} BLAS threads; each cell the fastest of {rounds} round(s) in a "
        "fresh process (benchmarks/search.py).",
        "",
        "| search | "
        + " | ".join(VARIANT_NAMES[v] for v in VARIANTS)
        + " | together vs sklearn best | vs fastmlp best | % of FLOP limit | peak MB "
        "one by one / together |",
        "|---" * (len(VARIANTS) + 5) + "|",
    ]
    for name, row in kept.items():
        cells = [fmt(_seconds(row.get(v)), ".2f") + (" s" if _seconds(row.get(v)) else "")
                 for v in VARIANTS]  # fmt: skip
        together = _seconds(row.get("together"))
        sk = [
            s for s in (_seconds(row.get("sklearn-1")), _seconds(row.get("sklearn-2"))) if s
        ]
        fm = [
            s for s in (_seconds(row.get("fastmlp-1")), _seconds(row.get("fastmlp-2"))) if s
        ]
        res = limits[name]
        limit = "-"
        if together and res.get("flops") and res.get("gemm"):
            limit = (
                f"{100 * res['flops'] / res['gemm'] / together:.0f}% "
                f"({res['flops'] / 1e9:.0f} GFLOP at {res['gemm'] / 1e9:.0f} GFLOP/s)"
            )
        peaks = "/".join(fmt((row.get(v) or {}).get("peak_mb"), ".0f")
                         for v in ("fastmlp-1", "together"))  # fmt: skip
        lines.append(
            f"| {GRIDS[name][0]} | "
            + " | ".join(cells)
            + f" | {fmt_ratio(min(sk) / together) if sk and together else '-'}"
            + f" | {fmt_ratio(min(fm) / together) if fm and together else '-'}"
            + f" | {limit} | {peaks} |"
        )
    errors = [f"{name}/{v}: {r['error']}" for name, row in kept.items()
              for v, r in row.items() if "error" in r]  # fmt: skip
    if errors:
        lines += ["", "Failed: " + "; ".join(errors)]
    return "\n".join(lines)


def failed(kept):
    return [(name, v) for name, row in kept.items() for v, r in row.items() if "error" in r]
