"""
Fit time against scikit-learn
=============================

How long ``fit`` takes with fastmlp's ``MLPClassifier`` and with
scikit-learn's, for the same parameters, on synthetic data of growing size,
in float64 and in float32 (both libraries train a float32 network from
float32 input). Every fit runs a fixed number of Adam epochs on mini-batches
of 32 rows, so the two libraries do the same arithmetic and learn the same
weights; the difference is the cost around it, which fastmlp's compiled epoch
loop removes (see :ref:`performance`).

The numbers depend on the machine, its BLAS and its load; each is the best of
a few fits. ``benchmarks/compare.py`` in the repository measures more
configurations (larger networks, L-BFGS, sparse input, PyTorch).

Run it as a script, ``python speed_vs_sklearn.py`` (up to 10,000 rows;
``--full``: up to 100,000, ``--quick``: up to 2,000), or as a notebook.
"""

import argparse
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier

import fastmlp

# %%
# The measurement
# ---------------
# ``tol=0`` with ``n_iter_no_change`` above ``max_iter`` makes every fit run
# exactly ``max_iter`` epochs.

PARAMS = dict(
    hidden_layer_sizes=(64, 64),
    batch_size=32,
    max_iter=5,
    tol=0.0,
    n_iter_no_change=100,
    random_state=0,
)


def best_fit_time(model, X, y, repeats):
    best = np.inf
    for _ in range(repeats):
        fresh = clone(model)
        start = time.perf_counter()
        fresh.fit(X, y)
        best = min(best, time.perf_counter() - start)
    return best


def main(quick=False, full=False):
    """Time both libraries over the sizes; print and return the
    measurements."""
    if quick:
        sizes = [500, 2000]
    elif full:
        sizes = [1000, 3000, 10000, 30000, 100000]
    else:
        sizes = [1000, 3000, 10000]
    repeats = 2 if quick else 3
    X_all, y_all = make_classification(
        n_samples=max(sizes),
        n_features=40,
        n_informative=20,
        n_classes=3,
        random_state=0,
    )
    rows = []
    print(
        f"{'rows':>7s} {'dtype':>8s} {'fastmlp (s)':>12s} "
        f"{'sklearn (s)':>12s} {'speed-up':>9s}"
    )
    for n in sizes:
        for dtype in (np.float64, np.float32):
            X, y = X_all[:n].astype(dtype), y_all[:n]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                ours = best_fit_time(
                    fastmlp.MLPClassifier(**PARAMS), X, y, repeats
                )
                theirs = best_fit_time(
                    SklearnMLPClassifier(**PARAMS), X, y, repeats
                )
            row = {
                "n_samples": n,
                "dtype": np.dtype(dtype).name,
                "fastmlp_time": ours,
                "sklearn_time": theirs,
                "speedup": theirs / ours,
            }
            rows.append(row)
            print(
                f"{n:7d} {row['dtype']:>8s} {ours:12.4f} {theirs:12.4f} "
                f"{row['speedup']:8.1f}x"
            )
    return rows


# %%
# Time the fits
# -------------

if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description="fastmlp's fit time against scikit-learn's."
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--quick", action="store_true", help="two small sizes (seconds)"
    )
    size.add_argument(
        "--full",
        action="store_true",
        help="up to 100,000 rows instead of 10,000",
    )
    # parse_known_args: a notebook's kernel passes arguments of its own.
    args = parser.parse_known_args()[0]
    rows = main(quick=args.quick, full=args.full)

# %%
# Fit time and speed-up
# ---------------------
# Left: seconds per fit (log scales). Right: scikit-learn's time over
# fastmlp's.

if __name__ == "__main__":
    fig, (ax_time, ax_speed) = plt.subplots(
        1, 2, figsize=(12, 4.4), layout="constrained"
    )
    for dtype, marker in [("float64", "o"), ("float32", "s")]:
        sel = [row for row in rows if row["dtype"] == dtype]
        n = [row["n_samples"] for row in sel]
        ax_time.plot(
            n,
            [row["fastmlp_time"] for row in sel],
            marker=marker,
            color="C0",
            ls="-" if dtype == "float64" else "--",
            label=f"fastmlp, {dtype}",
        )
        ax_time.plot(
            n,
            [row["sklearn_time"] for row in sel],
            marker=marker,
            color="C1",
            ls="-" if dtype == "float64" else "--",
            label=f"scikit-learn, {dtype}",
        )
        ax_speed.plot(
            n,
            [row["speedup"] for row in sel],
            marker=marker,
            color="C2",
            ls="-" if dtype == "float64" else "--",
            label=dtype,
        )
    ax_time.set_xscale("log")
    ax_time.set_yscale("log")
    ax_time.set_xlabel("training rows")
    ax_time.set_ylabel(f"fit time (s), {PARAMS['max_iter']} epochs")
    ax_time.legend(fontsize=8)
    ax_speed.set_xscale("log")
    ax_speed.set_ylim(bottom=0)
    ax_speed.axhline(1, color="grey", lw=1)
    ax_speed.set_xlabel("training rows")
    ax_speed.set_ylabel("speed-up (scikit-learn time / fastmlp time)")
    ax_speed.legend(fontsize=8)
    fig.suptitle(
        "MLPClassifier, hidden_layer_sizes=(64, 64), adam, "
        "batch_size=32, 40 features"
    )
    plt.show()
