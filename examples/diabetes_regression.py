"""
Diabetes progression: fastmlp against scikit-learn
==================================================

Regression on scikit-learn's bundled diabetes data (442 patients, 10 features, disease progression
after one year; no download). Each model is
``make_pipeline(StandardScaler(), MLPRegressor(...))`` inside a
``TransformedTargetRegressor`` that standardises the target too (the network then
learns a unit-scale output), with the same parameters and ``random_state`` for both
libraries; the table and the figures show fit time, test R^2, the speed-up and how
far apart the two models' predictions are.

Run it from a clone of the repository::

    python examples/diabetes_regression.py           # full run
    python examples/diabetes_regression.py --quick   # a few seconds
"""

import argparse
import os
import sys

from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPRegressor as SklearnMLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import fastmlp

try:
    _HERE = os.path.dirname(os.path.abspath(__file__))
except NameError:  # run by sphinx-gallery, from examples/ as the working directory
    _HERE = os.getcwd()
if _HERE not in sys.path:  # the shared table code in examples/_compare.py
    sys.path.insert(0, _HERE)
from _compare import compare, plot_comparison  # noqa: E402

# %%
# The models
# ----------
# ``TransformedTargetRegressor`` standardises the target for the network and maps its
# predictions back to the original scale; the MLP's class is the only difference.


def make_model(library, **params):
    MLP = fastmlp.MLPRegressor if library == "fastmlp" else SklearnMLPRegressor
    return TransformedTargetRegressor(
        regressor=make_pipeline(StandardScaler(), MLP(random_state=0, **params)),
        transformer=StandardScaler(),
    )


def main(quick=False):
    """Fit both libraries on diabetes; print the table and return its rows."""
    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0)
    max_iter = 30 if quick else 500
    configs = [
        ("adam, (32,), alpha=1",
         dict(hidden_layer_sizes=(32,), alpha=1.0, max_iter=max_iter)),
        ("adam, (16,), early stopping",
         dict(hidden_layer_sizes=(16,), alpha=1.0, early_stopping=True,
              max_iter=max_iter)),
        ("lbfgs, (32,), alpha=10",
         dict(hidden_layer_sizes=(32,), solver="lbfgs", alpha=10.0, max_iter=max_iter)),
    ]
    print(f"diabetes: {len(X_train)} training / {len(X_test)} test patients, "
          f"{X.shape[1]} features; max_iter={max_iter}\n")
    return compare(
        [(name, lambda lib, p=params: make_model(lib, **p)) for name, params in configs],
        X_train, y_train, X_test, y_test,
        repeats=3, score_name="test R^2")


# %%
# Fit both libraries
# ------------------
# Fit times are the best of three fits; the last column is the largest difference
# between the two models' predictions on the test patients.

if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description="Diabetes: fastmlp vs scikit-learn's MLPRegressor.")
    parser.add_argument("--quick", action="store_true",
                        help="few iterations, one timing run (seconds)")
    quick = parser.parse_args().quick
    rows = main(quick=quick)

# %%
# The same numbers, drawn
# -----------------------

if __name__ == "__main__":
    import matplotlib.pyplot as plt

    plot_comparison(rows, "diabetes: fastmlp vs scikit-learn", "test R^2")

# %%
# Predictions
# -----------
# Each test patient's predicted against measured progression, for the first
# configuration: fastmlp's predictions (dots) and scikit-learn's (crosses) coincide.

if __name__ == "__main__":
    X, y = load_diabetes(return_X_y=True)
    _, X_test, _, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    row = rows[0]
    fig, ax = plt.subplots(figsize=(5, 4.5), layout="constrained")
    ax.scatter(y_test, row["fastmlp_model"].predict(X_test), s=40, alpha=0.5,
               label="fastmlp")
    ax.scatter(y_test, row["sklearn_model"].predict(X_test), s=12, marker="x",
               color="k", label="scikit-learn")
    lims = [y_test.min(), y_test.max()]
    ax.plot(lims, lims, color="grey", lw=1)
    ax.set_xlabel("measured progression")
    ax.set_ylabel("predicted progression")
    ax.set_title(f"{row['name']}: test R^2 {row['fastmlp_score']:.3f}")
    ax.legend()
    plt.show()
