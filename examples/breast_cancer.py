"""
Breast cancer diagnosis: fastmlp against scikit-learn
=====================================================

scikit-learn's bundled Wisconsin breast cancer data (569 tumours, 30 features,
malignant or benign; no download): binary classification. Each model is
``make_pipeline(StandardScaler(), MLPClassifier(...))`` with the same parameters and
``random_state`` for both libraries; the table and the figure show fit time, test
accuracy, the speed-up and whether the two models predict the same.

Run it from a clone of the repository::

    python examples/breast_cancer.py           # full run
    python examples/breast_cancer.py --quick   # a few seconds
"""

import argparse
import os
import sys

from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
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
# Adam, SGD with Nesterov momentum and L-BFGS (with a stronger L2 penalty), each
# behind a ``StandardScaler``; only the MLP's class differs between the libraries.


def make_model(library, **params):
    MLP = fastmlp.MLPClassifier if library == "fastmlp" else SklearnMLPClassifier
    return make_pipeline(StandardScaler(), MLP(random_state=0, **params))


def main(quick=False):
    """Fit both libraries on breast cancer; print the table and return its rows."""
    X, y = load_breast_cancer(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, random_state=0, stratify=y)
    max_iter = 20 if quick else 300
    configs = [
        ("adam, (32,)", dict(hidden_layer_sizes=(32,), max_iter=max_iter)),
        ("sgd+nesterov, (32, 16)",
         dict(hidden_layer_sizes=(32, 16), solver="sgd", learning_rate_init=0.01,
              max_iter=max_iter)),
        ("lbfgs, (32,), alpha=1",
         dict(hidden_layer_sizes=(32,), solver="lbfgs", alpha=1.0, max_iter=max_iter)),
    ]
    print(f"breast cancer: {len(X_train)} training / {len(X_test)} test tumours, "
          f"{X.shape[1]} features, 2 classes; max_iter={max_iter}\n")
    return compare(
        [(name, lambda lib, p=params: make_model(lib, **p)) for name, params in configs],
        X_train, y_train, X_test, y_test,
        repeats=3, score_name="test accuracy")


# %%
# Fit both libraries
# ------------------
# Fit times are the best of three fits; the last column compares the two models'
# diagnoses of the test tumours.

if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description="Breast cancer: fastmlp vs scikit-learn's MLPClassifier.")
    parser.add_argument("--quick", action="store_true",
                        help="few iterations, one timing run (seconds)")
    rows = main(quick=parser.parse_args().quick)

# %%
# The same numbers, drawn
# -----------------------
# Fit times, test accuracies, and the training loss per epoch of the stochastic
# solvers (fastmlp's thick lines under scikit-learn's dashed ones).

if __name__ == "__main__":
    import matplotlib.pyplot as plt

    plot_comparison(rows, "breast cancer: fastmlp vs scikit-learn", "test accuracy")
    plt.show()
