"""Handwritten digits: fastmlp vs scikit-learn's MLPClassifier, side by side.

scikit-learn's bundled digits data (1,797 8x8 images, 10 classes; no download).
Each model is ``make_pipeline(StandardScaler(), MLPClassifier(...))`` with the same
parameters and ``random_state`` for both libraries, so both learn the same network;
the table shows fit time, test accuracy, the speed-up and whether the two models
predict the same.

Run::

    python examples/digits_classification.py           # full run
    python examples/digits_classification.py --quick   # a few seconds
"""

import argparse
import os
import sys

from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import fastmlp

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:  # the shared table code in examples/_compare.py
    sys.path.insert(0, _HERE)
from _compare import compare  # noqa: E402


def make_model(library, **params):
    MLP = fastmlp.MLPClassifier if library == "fastmlp" else SklearnMLPClassifier
    return make_pipeline(StandardScaler(), MLP(random_state=0, **params))


def main(quick=False):
    """Fit both libraries on digits; print the table and return its rows."""
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y)
    max_iter = 15 if quick else 200
    configs = [
        ("adam, (64,), batch 32",
         dict(hidden_layer_sizes=(64,), batch_size=32, max_iter=max_iter)),
        ("sgd+nesterov, (64, 32)",
         dict(hidden_layer_sizes=(64, 32), solver="sgd", learning_rate_init=0.05,
              max_iter=max_iter)),
        ("lbfgs, (64,)",
         dict(hidden_layer_sizes=(64,), solver="lbfgs", max_iter=max_iter)),
    ]
    print(f"digits: {len(X_train)} training / {len(X_test)} test images, "
          f"{X.shape[1]} pixels, 10 classes; max_iter={max_iter}\n")
    return compare(
        [(name, lambda lib, p=params: make_model(lib, **p)) for name, params in configs],
        X_train, y_train, X_test, y_test,
        repeats=3, score_name="test accuracy")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="few iterations, one timing run (seconds)")
    main(quick=parser.parse_args().quick)
