"""Diabetes progression: fastmlp vs scikit-learn's MLPRegressor, side by side.

scikit-learn's bundled diabetes data (442 patients, 10 features, disease progression
after one year; no download). Each model is
``make_pipeline(StandardScaler(), MLPRegressor(...))`` inside a
``TransformedTargetRegressor`` that standardises the target too (the network then
learns a unit-scale output), with the same parameters and ``random_state`` for both
libraries; the table shows fit time, test R^2, the speed-up and how far apart the two
models' predictions are.

Run::

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

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:  # the shared table code in examples/_compare.py
    sys.path.insert(0, _HERE)
from _compare import compare  # noqa: E402


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


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="few iterations, one timing run (seconds)")
    main(quick=parser.parse_args().quick)
